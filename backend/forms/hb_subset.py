"""Subset a font face with HarfBuzz's C subsetter: seconds where fontTools takes minutes.

Used at build time only (`make fonts`), through the same libharfbuzz-subset that WeasyPrint needs.
"""

from pathlib import Path

from cffi import FFI

_ffi = FFI()
_ffi.cdef("""
    typedef struct hb_blob_t hb_blob_t;
    typedef struct hb_face_t hb_face_t;
    typedef struct hb_set_t hb_set_t;
    typedef struct hb_subset_input_t hb_subset_input_t;
    typedef uint32_t hb_codepoint_t;
    typedef uint32_t hb_tag_t;

    hb_blob_t *hb_blob_create_from_file_or_fail (const char *file_name);
    void hb_blob_destroy (hb_blob_t *blob);
    const char *hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
    hb_face_t *hb_face_create (hb_blob_t *blob, unsigned int index);
    hb_blob_t *hb_face_reference_blob (hb_face_t *face);
    void hb_face_destroy (hb_face_t *face);
    void hb_set_add (hb_set_t *set, hb_codepoint_t codepoint);
    void hb_set_clear (hb_set_t *set);
    hb_tag_t hb_tag_from_string (const char *str, int len);

    hb_subset_input_t *hb_subset_input_create_or_fail (void);
    void hb_subset_input_destroy (hb_subset_input_t *input);
    hb_set_t *hb_subset_input_set (hb_subset_input_t *input, int set_type);
    void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned value);
    hb_face_t *hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
""")

# hb_subset_sets_t and hb_subset_flags_t (hb-subset.h, HarfBuzz >= 4).
_SETS_UNICODE = 1
_SETS_DROP_TABLE_TAG = 3
_SETS_LAYOUT_FEATURE_TAG = 6
_FLAG_NO_HINTING = 0x01
_FLAG_NOTDEF_OUTLINE = 0x40

_libraries = None


def _load():
    global _libraries
    if _libraries is None:
        _libraries = (_ffi.dlopen("libharfbuzz.so.0"), _ffi.dlopen("libharfbuzz-subset.so.0"))
    return _libraries


def subset_face(
    source: Path, index: int, unicodes: set[int], layout_features: list[str], drop_tables: list[str]
) -> bytes:
    """Return the face at index of source cut down to unicodes, keeping only layout_features."""
    hb, hb_subset = _load()
    blob = hb.hb_blob_create_from_file_or_fail(str(source).encode())
    if blob == _ffi.NULL:
        raise FileNotFoundError(source)
    face = hb.hb_face_create(blob, index)
    subset_input = hb_subset.hb_subset_input_create_or_fail()
    result = result_blob = _ffi.NULL
    try:
        wanted = hb_subset.hb_subset_input_set(subset_input, _SETS_UNICODE)
        for code_point in unicodes:
            hb.hb_set_add(wanted, code_point)
        features = hb_subset.hb_subset_input_set(subset_input, _SETS_LAYOUT_FEATURE_TAG)
        hb.hb_set_clear(features)  # HarfBuzz keeps a long default list otherwise
        for tag in layout_features:
            hb.hb_set_add(features, hb.hb_tag_from_string(tag.encode(), -1))
        dropped = hb_subset.hb_subset_input_set(subset_input, _SETS_DROP_TABLE_TAG)
        for tag in drop_tables:
            hb.hb_set_add(dropped, hb.hb_tag_from_string(tag.encode(), -1))
        hb_subset.hb_subset_input_set_flags(subset_input, _FLAG_NO_HINTING | _FLAG_NOTDEF_OUTLINE)
        result = hb_subset.hb_subset_or_fail(face, subset_input)
        if result == _ffi.NULL:
            raise ValueError(f"HarfBuzz could not subset {source} (face {index})")
        result_blob = hb.hb_face_reference_blob(result)
        length = _ffi.new("unsigned int *")
        data = hb.hb_blob_get_data(result_blob, length)
        return bytes(_ffi.buffer(data, length[0]))
    finally:
        if result_blob != _ffi.NULL:
            hb.hb_blob_destroy(result_blob)
        if result != _ffi.NULL:
            hb.hb_face_destroy(result)
        hb_subset.hb_subset_input_destroy(subset_input)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)
