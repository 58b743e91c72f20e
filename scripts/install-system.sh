#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Kho needs, only those that are missing.
# As root (or with sudo) it runs apt-get; otherwise it names what to install and fails.
set -euo pipefail

PACKAGES=(
  tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng   # OCR with Vietnamese data
  tesseract-ocr-script-viet                            # the Vietnamese script model, beside vie on dot-matrix prints
  poppler-utils                                        # pdftoppm thumbnails, pdfsig verification
  qpdf ghostscript                                     # PDF repair and PDF/A checks
  softhsm2 opensc                                      # PKCS#11 token for signing tests
  libnss3-tools                                        # certutil: NSS trust store for pdfsig
  chromium                                             # browser tests (Playwright drives it)
  fonts-dejavu-core fonts-liberation fonts-liberation2 fonts-noto-core  # Vietnamese glyphs; Liberation Serif 2 is Times-metric
  zbar-tools                                           # zbarimg: tests read the QR codes of printed papers
  postgresql                                           # RelStorage test: initdb/pg_ctl in /usr/lib/postgresql/*/bin
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo"
else
  echo "Kho needs these system packages, which are missing:" >&2
  echo "  ${missing[*]}" >&2
  echo "Install them as root:  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
