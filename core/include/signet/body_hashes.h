// The body hashes one pass over a message needs: one per distinct
// (canonicalization, hash, l=) among its signatures, so signing with several
// keys, or verifying several signatures, canonicalizes and hashes the body
// once per distinct combination, streaming (RFC 6376 section 3.7).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "signet/canonicalization.h"
#include "signet/crypto.h"

namespace signet {

class BodyHashes {
 public:
  // Returns the index to ask for the result with; equal requests share one.
  std::size_t add(Canonicalization c, HashAlgorithm h, std::optional<std::uint64_t> limit);
  void update(std::span<const char> body);
  void finish();

  const std::string& digest(std::size_t index) const { return entries_[index]->digest; }
  std::uint64_t canonicalLength(std::size_t index) const { return entries_[index]->canon->canonicalLength(); }
  std::uint64_t hashedLength(std::size_t index) const { return entries_[index]->canon->hashedLength(); }
  bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    Canonicalization canonicalization;
    HashAlgorithm hash_algorithm;
    std::optional<std::uint64_t> limit;
    Hash hash;
    std::unique_ptr<BodyCanonicalizer> canon;
    std::string digest;
    Entry(Canonicalization c, HashAlgorithm h, std::optional<std::uint64_t> l)
        : canonicalization(c), hash_algorithm(h), limit(l), hash(h), canon(makeBodyCanonicalizer(c, hash, l)) {}
  };
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace signet
