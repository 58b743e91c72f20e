"""Embedding a TrueType subset for stamp text, with metrics in PDF glyph space.

pyhanko's GlyphAccumulator writes glyph widths (/W), TJ adjustments and font
descriptor metrics in the font's own units. That is right only for fonts
with 1000 units per em; Liberation Serif (Times-metric) has 2048, and viewers
then space the letters twice too wide. `ScaledGlyphAccumulator` asks HarfBuzz
for advances at 1000 units per em and scales the widths and metrics it
writes, so any TrueType font comes out right.
"""
import io
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import (GlyphAccumulator,
                                             GlyphAccumulatorFactory)

PDF_GLYPH_UNITS = 1000


class ScaledGlyphAccumulator(GlyphAccumulator):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._units_scale = PDF_GLYPH_UNITS / self.units_per_em
        if self.units_per_em != PDF_GLYPH_UNITS:
            self.hb_font.scale = (PDF_GLYPH_UNITS, PDF_GLYPH_UNITS)
            self.units_per_em = PDF_GLYPH_UNITS
            self._scale_descriptor()

    def _get_cid_and_width(self, glyph_id):
        try:
            return self._glyphs[glyph_id]
        except KeyError:
            pass
        cid, width = super()._get_cid_and_width(glyph_id)
        result = (cid, round(width * self._units_scale))
        self._glyphs[glyph_id] = result
        return result

    def _scale_descriptor(self):
        desc = self.cidfont_obj.get("/FontDescriptor")
        if desc is None:
            return
        desc = desc.get_object()
        for key in ("/Ascent", "/Descent", "/CapHeight"):
            if key in desc:
                desc[generic.pdf_name(key)] = generic.NumberObject(
                    round(int(desc[key]) * self._units_scale))
        if "/FontBBox" in desc:
            desc[generic.pdf_name("/FontBBox")] = generic.ArrayObject(
                generic.NumberObject(round(int(v) * self._units_scale)) for v in desc["/FontBBox"])


@dataclass(frozen=True)
class ScaledGlyphAccumulatorFactory(GlyphAccumulatorFactory):
    """GlyphAccumulatorFactory giving a `ScaledGlyphAccumulator`."""

    def create_font_engine(self, writer, obj_stream=None):
        with open(self.font_file, "rb") as fh:
            if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
                obj_stream = writer.prepare_object_stream()
            return ScaledGlyphAccumulator(
                writer=writer, font_handle=io.BytesIO(fh.read()), font_size=self.font_size,
                ot_script_tag=self.ot_script_tag, ot_language_tag=self.ot_language_tag,
                writing_direction=self.writing_direction, bcp47_lang_code=self.bcp47_lang_code,
                obj_stream=obj_stream)
