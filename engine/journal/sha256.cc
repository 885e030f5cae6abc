// SHA-256 through OpenSSL's EVP interface, and the record hash of the journal's chain.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "engine/journal/journal.h"
#include "engine/journal/journal_internal.h"

namespace tminus {
namespace {

// The SHA-256 implementation, looked up once: OpenSSL 3 otherwise searches its providers on
// every digest, which costs more than hashing a record. Immutable and kept for the life of
// the process.
const EVP_MD* Sha256Md() {
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  static const EVP_MD* const fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (fetched != nullptr) return fetched;
#endif
  return EVP_sha256();
}

[[noreturn]] void DigestFailed() {
  std::fprintf(stderr, "tminus: fatal: OpenSSL failed computing SHA-256\n");
  std::abort();
}

std::string Hex(const unsigned char* digest, unsigned int size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(size * 2, '\0');
  for (unsigned int i = 0; i < size; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

// Hex SHA-256 of the concatenation of `parts`, fed to the digest one by one (a record's
// payload may be a whole runbook: it is not copied). OpenSSL failing here (out of memory,
// a broken provider) leaves no hash to chain, so it aborts rather than return a wrong one.
std::string HexDigest(std::initializer_list<std::string_view> parts) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, Sha256Md(), nullptr) != 1) DigestFailed();
  for (std::string_view part : parts) {
    if (EVP_DigestUpdate(ctx, part.data(), part.size()) != 1) DigestFailed();
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest;
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx, digest.data(), &size) != 1) DigestFailed();
  EVP_MD_CTX_free(ctx);
  return Hex(digest.data(), size);
}

// Fixed-width, so the length prefixes and numbers cannot run into the next field.
void AppendInt(uint64_t value, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void AppendField(std::string_view bytes, std::string* out) {
  AppendInt(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

}  // namespace

std::string Sha256Hex(const std::string& bytes) { return HexDigest({bytes}); }

std::string RecordHash(const std::string& previous_hash, const JournalRecord& record) {
  return journal_internal::HashFields(previous_hash, record.seq, record.wall_ms, record.actor,
                                      record.type, record.payload);
}

namespace journal_internal {

// The canonical bytes: each text field as an 8-byte big-endian length and its bytes; seq
// and wall_ms as 8-byte big-endian two's complement. The previous hash comes first, as a
// length-prefixed field too, so the first record ("" before it) is unambiguous.
std::string HashFields(std::string_view previous_hash, int64_t seq, int64_t wall_ms,
                       std::string_view actor, std::string_view type, std::string_view payload) {
  std::string head;  // everything before the payload's bytes
  head.reserve(6 * 8 + previous_hash.size() + actor.size() + type.size());
  AppendField(previous_hash, &head);
  AppendInt(static_cast<uint64_t>(seq), &head);
  AppendInt(static_cast<uint64_t>(wall_ms), &head);
  AppendField(actor, &head);
  AppendField(type, &head);
  AppendInt(payload.size(), &head);
  return HexDigest({head, payload});
}

}  // namespace journal_internal
}  // namespace tminus
