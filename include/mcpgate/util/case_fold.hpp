// Case-insensitive matching of user text, Unicode-wide: "ÜBER-LÅNGA" matches "über-långa".
//
// Archon compared with Python's str.lower(), which knows all of Unicode; an ASCII-only lower
// case missed every accented or non-Latin title. Here the comparison is ICU's full default case
// folding (CaseFolding.txt, status C+F), the mapping Unicode defines for caseless matching:
//   - it is locale-independent (no Turkish rules): "I" folds to "i", and "İ" (U+0130) to
//     "i̇" (i + U+0307), as in Python's lower(); so "İ" matches "i̇" but not "i".
//   - it maps final and medial sigma alike ("ΣΊΣΥΦΟΣ" matches "σίσυφος"), and expands some
//     letters: "ß" folds to "ss", so "STRASSE" matches "Straße" (Python's lower() did not:
//     folding matches a little more, never less).
//   - it does not normalise: a precomposed "å" and "a" + U+030A stay different (as in Python).
// Invalid UTF-8 never throws: each ill-formed sequence folds to U+FFFD (the replacement
// character, one per maximal ill-formed subpart, as ICU converts), so text with a stray byte
// still matches on its valid parts; two different invalid bytes therefore compare equal.
//
// Only user text goes through here. Protocol tokens (HTTP header names, schemes, hostnames,
// "true"/"yes") are ASCII by definition and stay with util/text.hpp's ascii_lower and iequals.
#pragma once

#include <string>
#include <string_view>

namespace mcpgate::util {

// `utf8` case-folded, as valid UTF-8. Folding is per code point, so fold_case(a + b) ==
// fold_case(a) + fold_case(b) whenever a ends on a whole code point. Throws std::bad_alloc only.
[[nodiscard]] std::string fold_case(std::string_view utf8);

// Whether `needle` occurs in `haystack`, both case-folded. An empty needle is in every text
// (as Python's `"" in text`). To match one needle against many texts, fold it once and compare
// with fold_case(text).find(folded_needle) instead.
[[nodiscard]] bool contains_folded(std::string_view haystack, std::string_view needle);

// Whether `a` and `b` are equal once case-folded ("Coding Agent" and "CODING AGENT").
[[nodiscard]] bool equals_folded(std::string_view a, std::string_view b);

}  // namespace mcpgate::util
