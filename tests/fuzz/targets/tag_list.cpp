// Fuzz target: the tag=value list parser (RFC 6376 section 3.2) and the
// helpers that split its values. Invariants: each value's raw region lies
// inside the input; names are unique; limits are honoured.
#include "signet/tag_list.h"

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "../fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace signet;
  const std::string_view text = fuzz::asText(data, size);
  for (const TagListLimits limits : {TagListLimits{}, TagListLimits{64, 4}}) {
    auto tags = TagList::parse(text, limits);
    if (!tags) {
      FUZZ_CHECK(!tags.error().message().empty());
      continue;
    }
    FUZZ_CHECK(text.size() <= limits.max_bytes);
    FUZZ_CHECK(tags->tags().size() <= limits.max_tags);
    std::set<std::string> names;
    for (const Tag& tag : tags->tags()) {
      FUZZ_CHECK(!tag.name.empty());
      FUZZ_CHECK(names.insert(tag.name).second);
      FUZZ_CHECK(tag.value_offset <= text.size());
      FUZZ_CHECK(tag.value_length <= text.size() - tag.value_offset);
      FUZZ_CHECK(tags->find(tag.name) == &tag);
      const std::string stripped = stripWhitespace(tag.value);
      FUZZ_CHECK(stripped.find_first_of(" \t\r\n") == std::string::npos);
      for (const auto& element : splitColonList(tag.value))
        FUZZ_CHECK(element.find(':') == std::string::npos);
      for (const auto& element : lowerColonList(tag.value)) FUZZ_CHECK(!element.empty());
    }
  }
  return 0;
}
