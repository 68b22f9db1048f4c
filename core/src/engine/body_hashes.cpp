#include "signet/body_hashes.h"

namespace signet {

std::size_t BodyHashes::add(Canonicalization c, HashAlgorithm h, std::optional<std::uint64_t> limit) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = *entries_[i];
    if (e.canonicalization == c && e.hash_algorithm == h && e.limit == limit) return i;
  }
  entries_.push_back(std::make_unique<Entry>(c, h, limit));
  return entries_.size() - 1;
}

void BodyHashes::update(std::span<const char> body) {
  for (auto& e : entries_) e->canon->update(body);
}

void BodyHashes::finish() {
  for (auto& e : entries_) {
    e->canon->finish();
    e->digest = e->hash.finish();
  }
}

}  // namespace signet
