// The core benchmark suite: libsignet's signing, verifying and body hashing
// against the raw OpenSSL operations they are built on, in one run, ending
// with a table of ratios against the performance targets:
//   - signing a 2 KB message costs at most 1.15x one raw RSA-2048 signature;
//   - relaxed body canonicalization + SHA-256 runs at >= 0.6x raw SHA-256;
//   - validating a 3-set ARC chain on a 2 KB message costs at most 1.5x
//     verifying one DKIM signature;
//   - sealing costs at most 1.2x one raw RSA-2048 signature plus one raw
//     verification per set validated (RFC 8617 asks for two signatures per
//     set, AMS and AS, so the floor is shown beside it).
// A missed target is printed as MISSED and does not change the exit code;
// a setup check that fails (a signature that does not verify, an OpenSSL
// error) or a benchmark that reports an error does.
//
// Verifying a 2 KB message (rsa-sha256, ed25519-sha256; the key served by an
// in-memory resolver) and signing one with Ed25519 are paired with the raw
// operation too, and reported without a target.
//
// The two targets are judged on interleaved pairs (the Signet operation and
// its raw reference timed alternately in one benchmark), which a changing
// load on a shared machine disturbs far less than two separate benchmarks;
// the separate ones are reported beside them. Unless --benchmark_repetitions
// is given, each benchmark runs 3 times (see ratio_reporter.h).
#include <benchmark/benchmark.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <expected>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench_corpus.h"
#include "paired.h"
#include "ratio_reporter.h"
#include "signet/arc_sealer.h"
#include "signet/arc_validator.h"
#include "signet/base64.h"
#include "signet/body_hashes.h"
#include "signet/crypto.h"
#include "signet/signer.h"
#include "signet/verifier.h"

namespace signet::bench {
namespace {

constexpr std::size_t kSmall = 2 * 1024;
constexpr std::size_t kLarge = 1024 * 1024;
constexpr std::size_t kChunk = 65535;  // the largest body chunk a milter is handed

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct EvpPkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct EvpMdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxFree>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree>;

template <typename T>
using Checked = std::expected<T, std::string>;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// One key, as Signet holds it and as raw OpenSSL objects, all from one PEM.
struct KeySet {
  KeyType type = KeyType::rsa;
  SigningAlgorithm algorithm = SigningAlgorithm::rsa_sha256;
  std::string selector;
  std::shared_ptr<const PrivateKey> signet;
  EvpPkeyPtr raw_private;
  EvpPkeyPtr raw_public;
  std::string digest_signature;  // raw signature of Fixture::digest, for the raw verify
};

struct Fixture {
  KeySet rsa;
  KeySet ed25519;
  std::string body;  // 1 MB, for the body benchmarks
  Message small;
  Message large;
  StaticResolver resolver;
  VerifierOptions verifier_options;
  std::string digest;  // 32 bytes, what the raw sign benchmarks sign
  // small and large with a DKIM-Signature field on top: [0 rsa, 1 ed25519][0 small, 1 large]
  std::array<std::array<Message, 2>, 2> signed_messages;
  // small with ARC chains of 2 and 3 sets (RSA-2048), sealed by Signet
  Message arc2;
  Message arc3;
};

// Hands `body` to `take` in chunks, as a milter receives it.
template <typename Take>
void forEachChunk(std::string_view body, Take&& take) {
  for (std::size_t i = 0; i < body.size(); i += kChunk)
    take(std::span<const char>(body.data() + i, std::min(kChunk, body.size() - i)));
}

SignatureSpec specFor(const KeySet& key) {
  SignatureSpec spec;
  spec.domain = "example.com";
  spec.selector = key.selector;
  spec.key = key.signet;
  spec.algorithm = key.algorithm;
  return spec;  // relaxed/relaxed, the default header list, From oversigned
}

// Signs as a milter would: each header field, the body in chunks, finish.
Result<std::string> signetSign(const Message& m, const KeySet& key) {
  MessageSigner signer({specFor(key)});
  for (const auto& field : m.headers) signer.addHeader(field);
  signer.endOfHeaders();
  forEachChunk(m.body, [&](std::span<const char> chunk) { signer.addBody(chunk); });
  auto fields = signer.finish();
  if (!fields) return std::unexpected(fields.error());
  return std::move(fields->front());
}

std::vector<SignatureResult> signetVerify(const Message& m, const VerifierOptions& options) {
  MessageVerifier verifier(options);
  for (const auto& field : m.headers) verifier.addHeader(field);
  verifier.endOfHeaders();
  forEachChunk(m.body, [&](std::span<const char> chunk) { verifier.addBody(chunk); });
  return verifier.finish();
}

ArcResult signetArcValidate(const Message& m, const VerifierOptions& options) {
  ArcValidator validator(options);
  for (const auto& field : m.headers) validator.addHeader(field);
  validator.endOfHeaders();
  forEachChunk(m.body, [&](std::span<const char> chunk) { validator.addBody(chunk); });
  return validator.finish();
}

// Validates the arriving chain and seals, in one pass, as arc-seal and
// signet-milter do; returns the new set's fields.
Result<std::vector<std::string>> signetArcSeal(const Message& m, const KeySet& key, const VerifierOptions& options) {
  ArcSealSpec spec;
  spec.domain = "example.com";
  spec.selector = key.selector;
  spec.key = key.signet;
  spec.algorithm = key.algorithm;
  spec.authserv_id = "mx.example.com";
  spec.results = {"spf=pass smtp.mailfrom=example.com"};
  ArcValidatingSealer sealer(options, spec);
  for (const auto& field : m.headers) sealer.addHeader(field);
  sealer.endOfHeaders();
  forEachChunk(m.body, [&](std::span<const char> chunk) { sealer.addBody(chunk); });
  auto outcome = sealer.finish();
  if (!outcome) return std::unexpected(outcome.error());
  if (outcome->fields.empty()) return failure("no ARC set added: " + outcome->skipped);
  return std::move(outcome->fields);
}

bool passed(const std::vector<SignatureResult>& results) {
  return results.size() == 1 && results.front().verdict == Verdict::pass;
}

// --- raw OpenSSL ---

Checked<std::string> rawSign(const KeySet& key, std::string_view digest) {
  std::string out(static_cast<std::size_t>(EVP_PKEY_get_size(key.raw_private.get())), '\0');
  std::size_t size = out.size();
  auto* sig = reinterpret_cast<unsigned char*>(out.data());
  if (key.type == KeyType::rsa) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.raw_private.get(), nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1 ||
        EVP_PKEY_sign(ctx.get(), sig, &size, bytes(digest), digest.size()) != 1)
      return std::unexpected("raw RSA signing failed");
  } else {
    EvpMdCtxPtr md(EVP_MD_CTX_new());
    if (!md ||
        EVP_DigestSignInit_ex(md.get(), nullptr, nullptr, nullptr, nullptr, key.raw_private.get(), nullptr) != 1 ||
        EVP_DigestSign(md.get(), sig, &size, bytes(digest), digest.size()) != 1)
      return std::unexpected("raw Ed25519 signing failed");
  }
  out.resize(size);
  return out;
}

// An RSA PKCS#1 v1.5 SHA-256 verify context, set up once for a timed loop;
// null when OpenSSL refuses.
EvpPkeyCtxPtr rawRsaVerifyContext(const KeySet& key) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.raw_public.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1)
    return nullptr;
  return ctx;
}

bool rawVerify(const KeySet& key, std::string_view digest, std::string_view signature) {
  if (key.type == KeyType::rsa) {
    const EvpPkeyCtxPtr ctx = rawRsaVerifyContext(key);
    return ctx && EVP_PKEY_verify(ctx.get(), bytes(signature), signature.size(), bytes(digest), digest.size()) == 1;
  }
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  return md &&
         EVP_DigestVerifyInit_ex(md.get(), nullptr, nullptr, nullptr, nullptr, key.raw_public.get(), nullptr) == 1 &&
         EVP_DigestVerify(md.get(), bytes(signature), signature.size(), bytes(digest), digest.size()) == 1;
}

std::string rawSha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), out, &size, EVP_sha256(), nullptr) != 1) return {};
  return std::string(reinterpret_cast<const char*>(out), size);
}

// --- setup, with the checks that must pass before anything is timed ---

Checked<void> makeKey(KeySet& key, KeyType type) {
  key.type = type;
  key.algorithm = type == KeyType::rsa ? SigningAlgorithm::rsa_sha256 : SigningAlgorithm::ed25519_sha256;
  key.selector = type == KeyType::rsa ? "rsa2048" : "ed25519";
  auto generated = PrivateKey::generate(type, 2048);
  if (!generated) return std::unexpected(generated.error().message);
  auto pem = (*generated)->toPem();
  if (!pem) return std::unexpected(pem.error().message);
  // Both sides decode the same PEM, as a signer loading its key file would.
  auto parsed = PrivateKey::parsePem(*pem);
  if (!parsed) return std::unexpected(parsed.error().message);
  key.signet = *parsed;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())),
                                                &BIO_free);
  key.raw_private.reset(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  auto public_data = key.signet->publicKeyData();
  if (!public_data) return std::unexpected(public_data.error().message);
  if (type == KeyType::rsa) {
    const unsigned char* p = bytes(*public_data);
    key.raw_public.reset(d2i_PUBKEY(nullptr, &p, static_cast<long>(public_data->size())));
  } else {
    key.raw_public.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(*public_data),
                                                     public_data->size()));
  }
  if (!key.raw_private || !key.raw_public) return std::unexpected("cannot load the key into OpenSSL");
  return {};
}

Checked<void> checkKey(Fixture& f, KeySet& key) {
  const std::string name(toString(key.type));
  auto raw = rawSign(key, f.digest);
  if (!raw) return std::unexpected(raw.error());
  if (!rawVerify(key, f.digest, *raw)) return std::unexpected("raw " + name + " signature does not verify");
  key.digest_signature = *raw;
  auto signet = key.signet->signHash(HashAlgorithm::sha256, f.digest);
  if (!signet) return std::unexpected(signet.error().message);
  if (!rawVerify(key, f.digest, *signet))
    return std::unexpected("Signet's " + name + " signature does not verify with OpenSSL");
  auto public_data = key.signet->publicKeyData();
  if (!public_data) return std::unexpected(public_data.error().message);
  f.resolver.publish(key.selector + "._domainkey.example.com",
                     "v=DKIM1; k=" + name + "; p=" + encodeBase64(*public_data));
  return {};
}

Checked<void> checkBodyHashes(const Fixture& f) {
  BodyHashes hashes;
  const std::size_t simple = hashes.add(Canonicalization::simple, HashAlgorithm::sha256, std::nullopt);
  const std::size_t relaxed = hashes.add(Canonicalization::relaxed, HashAlgorithm::sha256, std::nullopt);
  forEachChunk(f.body, [&](std::span<const char> chunk) { hashes.update(chunk); });
  hashes.finish();
  // The body ends with one CRLF and no empty lines: simple leaves it as is.
  if (hashes.digest(simple) != rawSha256(f.body))
    return std::unexpected("simple body hash differs from SHA-256 of the body");
  if (hashes.canonicalLength(relaxed) >= f.body.size())
    return std::unexpected("relaxed canonicalization removed nothing: the body has no white space to fold");
  return {};
}

Checked<void> signAndCheck(const Fixture& f, const KeySet& key, const Message& m, Message& out) {
  const std::string what = std::string(toString(key.algorithm)) + " " + std::to_string(m.size()) + "-byte message";
  auto field = signetSign(m, key);
  if (!field) return std::unexpected("signing a " + what + ": " + field.error().message);
  out = m;
  out.headers.insert(out.headers.begin(), HeaderField{*field});
  const auto results = signetVerify(out, f.verifier_options);
  if (!passed(results))
    return std::unexpected("Signet's signature of a " + what + " does not verify: " +
                           (results.empty() ? std::string("no result") : results.front().reason));
  Message tampered = out;
  tampered.body[tampered.body.size() / 2] ^= 0x01;
  const auto tampered_results = signetVerify(tampered, f.verifier_options);
  if (tampered_results.size() != 1 || tampered_results.front().verdict != Verdict::fail)
    return std::unexpected("a tampered " + what + " does not fail verification");
  return {};
}

// The small message sealed `hops` times, each hop validating the last.
Checked<Message> arcChain(const Fixture& f, int hops) {
  Message m = f.small;
  for (int i = 0; i < hops; ++i) {
    auto fields = signetArcSeal(m, f.rsa, f.verifier_options);
    if (!fields) return std::unexpected("sealing hop " + std::to_string(i + 1) + ": " + fields.error().message);
    for (auto it = fields->rbegin(); it != fields->rend(); ++it) m.headers.insert(m.headers.begin(), HeaderField{*it});
  }
  const ArcResult r = signetArcValidate(m, f.verifier_options);
  if (r.verdict != Verdict::pass || r.instances != static_cast<std::uint32_t>(hops))
    return std::unexpected("a " + std::to_string(hops) + "-set ARC chain does not validate: " + r.reason);
  Message tampered = m;
  tampered.body[tampered.body.size() / 2] ^= 0x01;
  if (signetArcValidate(tampered, f.verifier_options).verdict != Verdict::fail)
    return std::unexpected("a tampered ARC-sealed message does not fail validation");
  return m;
}

Checked<std::unique_ptr<Fixture>> makeFixture() {
  auto f = std::make_unique<Fixture>();
  f->body = makeTextBody(kLarge);
  f->small = makeMessage(kSmall, 2);
  f->large = makeMessage(kLarge, 3);
  f->digest = rawSha256("the header hash a DKIM signature signs");
  f->verifier_options.resolver = &f->resolver;
  for (auto [key, type] : {std::pair{&f->rsa, KeyType::rsa}, std::pair{&f->ed25519, KeyType::ed25519}}) {
    if (auto ok = makeKey(*key, type); !ok) return std::unexpected(ok.error());
    if (auto ok = checkKey(*f, *key); !ok) return std::unexpected(ok.error());
  }
  if (auto ok = checkBodyHashes(*f); !ok) return std::unexpected(ok.error());
  const std::array<const KeySet*, 2> keys = {&f->rsa, &f->ed25519};
  const std::array<const Message*, 2> messages = {&f->small, &f->large};
  for (std::size_t k = 0; k < 2; ++k)
    for (std::size_t s = 0; s < 2; ++s)
      if (auto ok = signAndCheck(*f, *keys[k], *messages[s], f->signed_messages[k][s]); !ok)
        return std::unexpected(ok.error());
  auto arc2 = arcChain(*f, 2);
  if (!arc2) return std::unexpected(arc2.error());
  f->arc2 = std::move(*arc2);
  auto arc3 = arcChain(*f, 3);
  if (!arc3) return std::unexpected(arc3.error());
  f->arc3 = std::move(*arc3);
  return f;
}

// --- the benchmarks ---

void registerRaw(const Fixture& f) {
  benchmark::RegisterBenchmark("raw/rsa2048_sign", [&f](benchmark::State& state) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, f.rsa.raw_private.get(), nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1) {
      state.SkipWithError("EVP_PKEY_sign_init failed");
      return;
    }
    unsigned char sig[512];
    for (auto _ : state) {
      std::size_t size = sizeof sig;
      if (EVP_PKEY_sign(ctx.get(), sig, &size, bytes(f.digest), f.digest.size()) != 1) {
        state.SkipWithError("EVP_PKEY_sign failed");
        break;
      }
      benchmark::DoNotOptimize(sig);
    }
  });
  // As Signet calls it: a new EVP_PKEY_CTX for each signature.
  benchmark::RegisterBenchmark("raw/rsa2048_sign_new_ctx", [&f](benchmark::State& state) {
    for (auto _ : state) {
      auto sig = rawSign(f.rsa, f.digest);
      if (!sig) {
        state.SkipWithError(sig.error().c_str());
        break;
      }
      benchmark::DoNotOptimize(sig->data());
    }
  });
  benchmark::RegisterBenchmark("raw/rsa2048_verify", [&f](benchmark::State& state) {
    EvpPkeyCtxPtr ctx = rawRsaVerifyContext(f.rsa);
    if (!ctx) {
      state.SkipWithError("EVP_PKEY_verify_init failed");
      return;
    }
    const std::string& sig = f.rsa.digest_signature;
    for (auto _ : state) {
      if (EVP_PKEY_verify(ctx.get(), bytes(sig), sig.size(), bytes(f.digest), f.digest.size()) != 1) {
        state.SkipWithError("EVP_PKEY_verify failed");
        break;
      }
    }
  });
  // Ed25519 needs a fresh EVP_DigestSignInit per message; the MD_CTX is reused.
  benchmark::RegisterBenchmark("raw/ed25519_sign", [&f](benchmark::State& state) {
    EvpMdCtxPtr md(EVP_MD_CTX_new());
    unsigned char sig[64];
    for (auto _ : state) {
      std::size_t size = sizeof sig;
      if (EVP_DigestSignInit_ex(md.get(), nullptr, nullptr, nullptr, nullptr, f.ed25519.raw_private.get(),
                                nullptr) != 1 ||
          EVP_DigestSign(md.get(), sig, &size, bytes(f.digest), f.digest.size()) != 1) {
        state.SkipWithError("Ed25519 EVP_DigestSign failed");
        break;
      }
      benchmark::DoNotOptimize(sig);
    }
  });
  benchmark::RegisterBenchmark("raw/ed25519_verify", [&f](benchmark::State& state) {
    EvpMdCtxPtr md(EVP_MD_CTX_new());
    const std::string& sig = f.ed25519.digest_signature;
    for (auto _ : state) {
      if (EVP_DigestVerifyInit_ex(md.get(), nullptr, nullptr, nullptr, nullptr, f.ed25519.raw_public.get(),
                                  nullptr) != 1 ||
          EVP_DigestVerify(md.get(), bytes(sig), sig.size(), bytes(f.digest), f.digest.size()) != 1) {
        state.SkipWithError("Ed25519 EVP_DigestVerify failed");
        break;
      }
    }
  });
  benchmark::RegisterBenchmark("raw/sha256_1MB", [&f](benchmark::State& state) {
    unsigned char out[EVP_MAX_MD_SIZE];
    for (auto _ : state) {
      unsigned int size = 0;
      EVP_Digest(f.body.data(), f.body.size(), out, &size, EVP_sha256(), nullptr);
      benchmark::DoNotOptimize(out);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.body.size()));
  });
}

void registerBody(const Fixture& f) {
  benchmark::RegisterBenchmark("signet/hash_sha256_1MB", [&f](benchmark::State& state) {
    for (auto _ : state) {
      Hash hash(HashAlgorithm::sha256);
      forEachChunk(f.body, [&](std::span<const char> chunk) { hash.write(chunk); });
      benchmark::DoNotOptimize(hash.finish());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.body.size()));
  });
  for (auto [name, c] : {std::pair{"signet/body_relaxed_sha256_1MB", Canonicalization::relaxed},
                         std::pair{"signet/body_simple_sha256_1MB", Canonicalization::simple}}) {
    benchmark::RegisterBenchmark(name, [&f, c = c](benchmark::State& state) {
      for (auto _ : state) {
        BodyHashes hashes;
        const std::size_t index = hashes.add(c, HashAlgorithm::sha256, std::nullopt);
        forEachChunk(f.body, [&](std::span<const char> chunk) { hashes.update(chunk); });
        hashes.finish();
        benchmark::DoNotOptimize(hashes.digest(index).data());
      }
      state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.body.size()));
    });
  }
}

void registerMessages(const Fixture& f) {
  const std::array<const KeySet*, 2> keys = {&f.rsa, &f.ed25519};
  const std::array<std::pair<const Message*, const char*>, 2> sizes = {std::pair{&f.small, "2KB"},
                                                                       std::pair{&f.large, "1MB"}};
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const KeySet& key = *keys[k];
    const std::string algorithm(toString(key.algorithm));
    for (std::size_t s = 0; s < sizes.size(); ++s) {
      const Message& message = *sizes[s].first;
      const auto message_bytes = static_cast<std::int64_t>(message.size());
      const std::string sign_name = "signet/sign_" + std::string(sizes[s].second) + "_" + algorithm;
      benchmark::RegisterBenchmark(sign_name.c_str(), [&key, &message, message_bytes](benchmark::State& state) {
        for (auto _ : state) {
          auto field = signetSign(message, key);
          if (!field) {
            state.SkipWithError(field.error().message.c_str());
            break;
          }
          benchmark::DoNotOptimize(field->data());
        }
        state.SetBytesProcessed(state.iterations() * message_bytes);
      });
      const Message& signed_message = f.signed_messages[k][s];
      const std::string verify_name = "signet/verify_" + std::string(sizes[s].second) + "_" + algorithm;
      benchmark::RegisterBenchmark(verify_name.c_str(), [&f, &signed_message, message_bytes](benchmark::State& state) {
        for (auto _ : state) {
          const auto results = signetVerify(signed_message, f.verifier_options);
          if (!passed(results)) {
            state.SkipWithError("the signature did not verify");
            break;
          }
        }
        state.SetBytesProcessed(state.iterations() * message_bytes);
      });
    }
  }
}

// --- the targets, measured in interleaved pairs (see paired.h) ---

void registerPairs(const Fixture& f) {
  benchmark::RegisterBenchmark("pair/sign_2KB_rsa-sha256_vs_raw_rsa2048_sign", [&f](benchmark::State& state) {
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, f.rsa.raw_private.get(), nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1) {
      state.SkipWithError("EVP_PKEY_sign_init failed");
      return;
    }
    pairedRatio(
        state, [&] { return signetSign(f.small, f.rsa).has_value(); },
        [&] {
          unsigned char sig[512];
          std::size_t size = sizeof sig;
          return EVP_PKEY_sign(ctx.get(), sig, &size, bytes(f.digest), f.digest.size()) == 1;
        });
  });
  // Verifying: the key comes from the in-memory resolver, as from a DNS cache.
  benchmark::RegisterBenchmark("pair/verify_2KB_rsa-sha256_vs_raw_rsa2048_verify", [&f](benchmark::State& state) {
    EvpPkeyCtxPtr ctx = rawRsaVerifyContext(f.rsa);
    if (!ctx) {
      state.SkipWithError("EVP_PKEY_verify_init failed");
      return;
    }
    const std::string& sig = f.rsa.digest_signature;
    pairedRatio(
        state, [&] { return passed(signetVerify(f.signed_messages[0][0], f.verifier_options)); },
        [&] { return EVP_PKEY_verify(ctx.get(), bytes(sig), sig.size(), bytes(f.digest), f.digest.size()) == 1; });
  });
  benchmark::RegisterBenchmark("pair/verify_2KB_ed25519-sha256_vs_raw_ed25519_verify", [&f](benchmark::State& state) {
    pairedRatio(
        state, [&] { return passed(signetVerify(f.signed_messages[1][0], f.verifier_options)); },
        [&] { return rawVerify(f.ed25519, f.digest, f.ed25519.digest_signature); });
  });
  benchmark::RegisterBenchmark("pair/sign_2KB_ed25519-sha256_vs_raw_ed25519_sign", [&f](benchmark::State& state) {
    pairedRatio(
        state, [&] { return signetSign(f.small, f.ed25519).has_value(); },
        [&] { return rawSign(f.ed25519, f.digest).has_value(); });
  });
  // ARC: validating a 3-set chain against verifying one DKIM signature, both
  // the whole message path with the key from the in-memory resolver.
  benchmark::RegisterBenchmark("pair/arc_validate_3sets_2KB_vs_verify_2KB_rsa-sha256", [&f](benchmark::State& state) {
    pairedRatio(
        state, [&] { return signetArcValidate(f.arc3, f.verifier_options).verdict == Verdict::pass; },
        [&] { return passed(signetVerify(f.signed_messages[0][0], f.verifier_options)); });
  });
  // Sealing the third set (validating the two before it) against one raw
  // RSA-2048 signature and one raw verification per set validated.
  benchmark::RegisterBenchmark("pair/arc_seal_3rd_2KB_vs_raw_sign_plus_2_verify", [&f](benchmark::State& state) {
    EvpPkeyCtxPtr sign_ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, f.rsa.raw_private.get(), nullptr));
    EvpPkeyCtxPtr verify_ctx = rawRsaVerifyContext(f.rsa);
    if (!sign_ctx || !verify_ctx || EVP_PKEY_sign_init(sign_ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(sign_ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_CTX_set_signature_md(sign_ctx.get(), EVP_sha256()) != 1) {
      state.SkipWithError("EVP_PKEY setup failed");
      return;
    }
    const std::string& sig = f.rsa.digest_signature;
    pairedRatio(
        state, [&] { return signetArcSeal(f.arc2, f.rsa, f.verifier_options).has_value(); },
        [&] {
          unsigned char out[512];
          std::size_t size = sizeof out;
          bool ok = EVP_PKEY_sign(sign_ctx.get(), out, &size, bytes(f.digest), f.digest.size()) == 1;
          for (int i = 0; i < 2; ++i)
            ok = ok && EVP_PKEY_verify(verify_ctx.get(), bytes(sig), sig.size(), bytes(f.digest), f.digest.size()) == 1;
          return ok;
        });
  });
  benchmark::RegisterBenchmark("signet/arc_validate_3sets_2KB", [&f](benchmark::State& state) {
    for (auto _ : state)
      if (signetArcValidate(f.arc3, f.verifier_options).verdict != Verdict::pass) {
        state.SkipWithError("the chain did not validate");
        break;
      }
  });
  benchmark::RegisterBenchmark("signet/arc_seal_3rd_2KB", [&f](benchmark::State& state) {
    for (auto _ : state)
      if (!signetArcSeal(f.arc2, f.rsa, f.verifier_options)) {
        state.SkipWithError("sealing failed");
        break;
      }
  });
  benchmark::RegisterBenchmark("pair/body_relaxed_sha256_1MB_vs_raw_sha256", [&f](benchmark::State& state) {
    pairedRatio(
        state,
        [&] {
          BodyHashes hashes;
          const std::size_t index = hashes.add(Canonicalization::relaxed, HashAlgorithm::sha256, std::nullopt);
          forEachChunk(f.body, [&](std::span<const char> chunk) { hashes.update(chunk); });
          hashes.finish();
          return hashes.digest(index).size() == 32;
        },
        [&] { return rawSha256(f.body).size() == 32; });
  });
}

// A target row, from an interleaved pair.
Ratio target(std::string label, std::string pair, bool throughput, Goal goal, double value) {
  Ratio r;
  r.label = std::move(label);
  r.paired = std::move(pair);
  r.throughput = throughput;
  r.goal = goal;
  r.target = value;
  return r;
}

// A row for information, from separate benchmarks.
Ratio info(std::string label, std::vector<std::string> numerator, std::vector<std::string> denominator,
           bool throughput = false) {
  Ratio r;
  r.label = std::move(label);
  r.numerator = std::move(numerator);
  r.denominator = std::move(denominator);
  r.throughput = throughput;
  return r;
}

std::vector<Ratio> ratios() {
  const std::string sha = "raw/sha256_1MB";
  return {
      target("signet sign 2KB rsa-sha256 / raw RSA-2048 sign", "pair/sign_2KB_rsa-sha256_vs_raw_rsa2048_sign",
             false, Goal::at_most, 1.15),
      target("relaxed canon+SHA-256 / raw SHA-256 throughput", "pair/body_relaxed_sha256_1MB_vs_raw_sha256", true,
             Goal::at_least, 0.60),
      info("  the same, from separate benchmarks", {"signet/sign_2KB_rsa-sha256"}, {"raw/rsa2048_sign"}),
      info("  the same, from separate benchmarks", {"signet/body_relaxed_sha256_1MB"}, {sha}, true),
      target("signet verify 2KB rsa-sha256 / raw RSA-2048 verify", "pair/verify_2KB_rsa-sha256_vs_raw_rsa2048_verify",
             false, Goal::none, 0),
      target("signet verify 2KB ed25519 / raw Ed25519 verify", "pair/verify_2KB_ed25519-sha256_vs_raw_ed25519_verify",
             false, Goal::none, 0),
      target("signet sign 2KB ed25519 / raw Ed25519 sign", "pair/sign_2KB_ed25519-sha256_vs_raw_ed25519_sign", false,
             Goal::none, 0),
      target("ARC validate 3 sets 2KB / signet verify 2KB rsa-sha256",
             "pair/arc_validate_3sets_2KB_vs_verify_2KB_rsa-sha256", false, Goal::at_most, 1.5),
      target("ARC seal 3rd set 2KB / (raw RSA-2048 sign + 2 raw verify)",
             "pair/arc_seal_3rd_2KB_vs_raw_sign_plus_2_verify", false, Goal::at_most, 1.2),
      info("  ARC seal 3rd set / (2 raw RSA-2048 sign + 3 raw verify), the RFC's floor",
           {"signet/arc_seal_3rd_2KB"}, {"raw/rsa2048_sign", "raw/rsa2048_sign", "raw/rsa2048_verify",
                                          "raw/rsa2048_verify", "raw/rsa2048_verify"}),
      info("  ARC validate 3 sets / 4 raw RSA-2048 verify", {"signet/arc_validate_3sets_2KB"},
           {"raw/rsa2048_verify", "raw/rsa2048_verify", "raw/rsa2048_verify", "raw/rsa2048_verify"}),
      info("simple canon+SHA-256 / raw SHA-256 throughput", {"signet/body_simple_sha256_1MB"}, {sha}, true),
      info("signet Hash SHA-256 (64K chunks) / raw SHA-256 throughput", {"signet/hash_sha256_1MB"}, {sha}, true),
      info("raw RSA-2048 sign, new EVP_PKEY_CTX each / reused", {"raw/rsa2048_sign_new_ctx"}, {"raw/rsa2048_sign"}),
      info("signet sign 1MB rsa-sha256 / (raw RSA sign + raw SHA-256 1MB)", {"signet/sign_1MB_rsa-sha256"},
           {"raw/rsa2048_sign", sha}),
      info("signet verify 2KB rsa-sha256 / raw RSA-2048 verify", {"signet/verify_2KB_rsa-sha256"},
           {"raw/rsa2048_verify"}),
      info("signet verify 1MB rsa-sha256 / (raw RSA verify + raw SHA-256)", {"signet/verify_1MB_rsa-sha256"},
           {"raw/rsa2048_verify", sha}),
      info("signet sign 2KB ed25519 / raw Ed25519 sign", {"signet/sign_2KB_ed25519-sha256"}, {"raw/ed25519_sign"}),
      info("signet sign 1MB ed25519 / (raw Ed25519 sign + raw SHA-256)", {"signet/sign_1MB_ed25519-sha256"},
           {"raw/ed25519_sign", sha}),
      info("signet verify 2KB ed25519 / raw Ed25519 verify", {"signet/verify_2KB_ed25519-sha256"},
           {"raw/ed25519_verify"}),
      info("signet verify 1MB ed25519 / (raw Ed25519 verify + raw SHA-256)", {"signet/verify_1MB_ed25519-sha256"},
           {"raw/ed25519_verify", sha}),
  };
}

// Colour only on a terminal, unless --benchmark_color says otherwise.
benchmark::ConsoleReporter::OutputOptions consoleOptions(int argc, char** argv) {
  bool color = isatty(STDOUT_FILENO) != 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--benchmark_color=")) {
      const std::string_view value = arg.substr(std::strlen("--benchmark_color="));
      if (value == "true" || value == "yes" || value == "1") color = true;
      if (value == "false" || value == "no" || value == "0") color = false;
    }
  }
  return color ? benchmark::ConsoleReporter::OO_ColorTabular : benchmark::ConsoleReporter::OO_Tabular;
}

}  // namespace
}  // namespace signet::bench

int main(int argc, char** argv) {
  using namespace signet::bench;
  std::vector<char*> args(argv, argv + argc);
  std::string repetitions = "--benchmark_repetitions=3";
  if (std::none_of(args.begin() + 1, args.end(),
                   [](const char* a) { return std::string_view(a).starts_with("--benchmark_repetitions"); }))
    args.insert(args.begin() + 1, repetitions.data());
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 2;

  std::cout << "signet_core_bench (" << SIGNET_BENCH_CONFIG << " build)\n";
  auto fixture = makeFixture();
  if (!fixture) {
    std::cerr << "signet_core_bench: setup check failed: " << fixture.error() << "\n";
    return 1;
  }
  std::cout << "setup checks passed: raw and Signet signatures verify, a tampered message fails; messages of "
            << (*fixture)->small.size() << " and " << (*fixture)->large.size() << " bytes, body of "
            << (*fixture)->body.size() << " bytes\n";
  registerRaw(**fixture);
  registerBody(**fixture);
  registerMessages(**fixture);
  registerPairs(**fixture);

  RecordingReporter reporter(consoleOptions(argc, argv));
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const auto table = ratios();
  printRatioTable(std::cout, reporter, table);
  benchmark::Shutdown();
  for (const auto& error : reporter.errors()) std::cerr << "signet_core_bench: error: " << error << "\n";
  return reporter.errors().empty() ? 0 : 1;
}
