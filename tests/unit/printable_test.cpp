// The one terminal sanitiser (<labour/printable.hpp>): control characters escaped, printable
// UTF-8 kept.
#include <labour/printable.hpp>

#include <catch2/catch.hpp>
#include <string>

using labour::printable;

TEST_CASE("printable escapes what a terminal would obey and keeps the rest", "[printable]") {
  CHECK(printable("gunicorn x SIGSEGV") == "gunicorn x SIGSEGV");
  CHECK(printable("a\x1b[2Jb") == "a\\x1b[2Jb");                    // clear screen
  CHECK(printable("\x1b]0;title\x07") == "\\x1b]0;title\\x07");     // window title
  CHECK(printable("one\ntwo\r\tthree") == "one\\ntwo\\r\\tthree");  // no fake lines
  CHECK(printable(std::string("nul\0byte", 8)) == "nul\\x00byte");
  CHECK(printable("del\x7f") == "del\\x7f");
  CHECK(printable("gr\xc3\xbc\xc3\x9f \xe2\x9c\x93 \xf0\x9f\x90\x8d") ==
        "gr\xc3\xbc\xc3\x9f \xe2\x9c\x93 \xf0\x9f\x90\x8d");
  CHECK(printable("csi\xc2\x9b"
                  "2J") == "csi\\u009b2J");               // C1 CSI, one byte ESC [ for some terminals
  CHECK(printable("nbsp\xc2\xa0") == "nbsp\xc2\xa0");     // U+00A0 is printable
  CHECK(printable("bad\xff\xc3") == "bad\\xff\\xc3");     // not UTF-8, cut short
  CHECK(printable("over\xc0\xaf") == "over\\xc0\\xaf");   // an overlong '/'
  CHECK(printable("\xe0\x82\x9b") == "\\xe0\\x82\\x9b");  // an overlong C1 CSI
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
  CHECK(printable("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
  CHECK(printable("\xf0\x80\x80\xaf") == "\\xf0\\x80\\x80\\xaf");  // an overlong 4-byte form
  CHECK(printable("\xef\xbf\xbd \xf4\x8f\xbf\xbf") ==
        "\xef\xbf\xbd \xf4\x8f\xbf\xbf");  // U+FFFD, U+10FFFF stay
}

TEST_CASE("printable escapes the characters that reorder or hide text", "[printable]") {
  // U+202E RIGHT-TO-LEFT OVERRIDE would show "exe.txt" as "txt.exe".
  CHECK(printable("a\xe2\x80\xae"
                  "b") == "a\\u202eb");
  CHECK(printable("\xe2\x80\x8bzero\xe2\x80\x8c\xe2\x80\x8d") == "\\u200bzero\\u200c\\u200d");  // zero width
  CHECK(printable("\xe2\x81\xa6iso\xe2\x81\xa9") == "\\u2066iso\\u2069");                       // isolates
  CHECK(printable("\xef\xbb\xbf"
                  "bom") == "\\ufeffbom");  // zero-width no-break space
  CHECK(printable("\xd8\x9c"
                  "alm") == "\\u061calm");                                       // Arabic letter mark
  CHECK(printable("\xe2\x80\x8e\xe2\x80\x8f") == "\\u200e\\u200f");              // LRM, RLM
  CHECK(printable("\xe2\x80\x94 \xe2\x80\xa6") == "\xe2\x80\x94 \xe2\x80\xa6");  // em dash, ellipsis stay
}
