// util::fold_case, contains_folded and equals_folded: Unicode-wide case-insensitive matching of
// user text (ICU full default case folding), and what invalid UTF-8 becomes.
#include "mcpgate/util/case_fold.hpp"

#include <doctest/doctest.h>

#include <string>

using mcpgate::util::contains_folded;
using mcpgate::util::equals_folded;
using mcpgate::util::fold_case;

TEST_CASE("fold_case: Latin letters with diacritics fold like ASCII ones") {
  CHECK(fold_case("ÜBER-LÅNGA") == "über-långa");
  CHECK(fold_case("über-långa") == "über-långa");
  CHECK(equals_folded("ÜBER-LÅNGA", "über-långa"));
  CHECK(contains_folded("Projekt ÜBER-LÅNGA Zeilen", "über-långa"));
  CHECK(contains_folded("über-långa", "ÜBER-LÅNGA"));
  CHECK(fold_case("Plain ASCII 123 %_") == "plain ascii 123 %_");
}

TEST_CASE("fold_case: Greek sigma in every position folds to one letter") {
  // Python's lower() gives "σίσυφος" (final ς); folding maps Σ, σ and ς alike.
  CHECK(equals_folded("ΣΊΣΥΦΟΣ", "σίσυφος"));
  CHECK(contains_folded("Ο μύθος του ΣΊΣΥΦΟΣ", "σίσυφος"));
  CHECK(contains_folded("σίσυφος", "ΣΊΣΥΦΟΣ"));
  CHECK(fold_case("ς") == fold_case("Σ"));
}

TEST_CASE("fold_case: Turkish dotted capital I is locale-independent, as Python's lower()") {
  // U+0130 folds to i + U+0307 (combining dot above), never to a plain i; dotless ı stays.
  CHECK(fold_case("İ") == "i\xCC\x87");
  CHECK(equals_folded("İSTANBUL", "i\xCC\x87stanbul"));
  CHECK_FALSE(equals_folded("İSTANBUL", "istanbul"));
  CHECK(fold_case("I") == "i");
  CHECK(fold_case("ı") == "ı");
  CHECK_FALSE(equals_folded("ı", "i"));
}

TEST_CASE("fold_case: full folding expands sharp s (more matches than Python's lower())") {
  CHECK(fold_case("ß") == "ss");
  CHECK(equals_folded("Straße", "STRASSE"));
  CHECK(contains_folded("DIE GROSSE STRASSE", "straße"));
  CHECK(fold_case("ẞ") == "ss");  // capital sharp s
}

TEST_CASE("fold_case: invalid UTF-8 becomes U+FFFD, never an exception") {
  const std::string replacement = "\xEF\xBF\xBD";
  CHECK(fold_case("A\xFF" "B") == "a" + replacement + "b");
  CHECK(fold_case("\xC3") == replacement);                   // a sequence cut short
  CHECK(fold_case("\xED\xA0\x80") == replacement + replacement + replacement);  // a surrogate
  CHECK(fold_case("\xC0\xAF") == replacement + replacement);  // overlong "/"
  CHECK(fold_case(std::string("A\0B", 3)) == std::string("a\0b", 3));  // NUL is a character
  // The valid parts still match across the bad byte.
  CHECK(contains_folded("ÜBER\xFF-LÅNGA", "über"));
  CHECK(contains_folded("ÜBER\xFF-LÅNGA", "-långa"));
  CHECK_FALSE(contains_folded("ÜBER\xFF-LÅNGA", "über-långa"));
  CHECK(contains_folded("abc", "\xFF") == false);
}

TEST_CASE("contains_folded: an empty needle is in every text, an empty text holds no other") {
  CHECK(contains_folded("anything", ""));
  CHECK(contains_folded("", ""));
  CHECK_FALSE(contains_folded("", "a"));
  CHECK(fold_case("") == "");
  CHECK(equals_folded("", ""));
}

TEST_CASE("fold_case: long text folds in pieces without splitting a character") {
  // Pieces are 64 KiB: put multi-byte letters across every possible cut near the boundaries.
  for (std::size_t pad = 0; pad < 4; ++pad) {
    CAPTURE(pad);
    std::string text(pad, 'A');
    std::string expected(pad, 'a');
    while (text.size() < 3 * 64 * 1024) {
      text += "ÅΣ\xF0\x90\x90\x80";  // Å, Σ and Deseret capital long I (4 bytes, folds to U+10428)
      expected += "åσ\xF0\x90\x90\xA8";
    }
    CHECK(fold_case(text) == expected);
  }
  // A run of stray continuation bytes across a cut: each one is its own replacement.
  const std::string stray(200 * 1024, '\x80');
  std::string expected;
  for (std::size_t i = 0; i < stray.size(); ++i) expected += "\xEF\xBF\xBD";
  CHECK(fold_case(stray) == expected);
}
