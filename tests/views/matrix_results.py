"""The route × role table of the results views, in the format of CASES in
test_security_matrix.py (view callable → (method, path template, who may,
extra params)), over the reuse world (tests/reuse_world.py)."""

CASES = {
}
