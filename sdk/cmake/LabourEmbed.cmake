# cmake -DINPUT=file.py -DOUTPUT=file.cpp [-DSYMBOL=name] -P LabourEmbed.cmake
# Writes the file's bytes as a C++ source defining the extern "C" array `SYMBOL` plus
# `SYMBOL_size` (any content, no escaping pitfalls; C++ so that CXX-only projects build it).
# The array is NUL-terminated; the size excludes the NUL.
if(NOT SYMBOL)
  set(SYMBOL labour_embedded_worker_source)
endif()
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUTPUT}"
  "// Generated from ${INPUT}; do not edit.\n"
  "extern \"C\" __attribute__((visibility(\"hidden\"))) const char ${SYMBOL}[] = {${bytes} 0};\n"
  "extern \"C\" __attribute__((visibility(\"hidden\"))) const unsigned long ${SYMBOL}_size = ${size};\n")
