// SHA-256 through OpenSSL's EVP interface, and the record hash of the journal's chain.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "engine/journal/journal.h"
#include "engine/journal/journal_internal.h"

namespace tminus {
namespace {

// One SHA-256 computation fed piece by piece. OpenSSL failing here (out of memory, a
// broken provider) leaves no hash to chain, so it aborts rather than return a wrong one.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
      Die("EVP_DigestInit_ex");
    }
  }

  void Update(std::string_view bytes) {
    if (EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1) Die("EVP_DigestUpdate");
  }

  // Fixed-width, so the length prefixes and numbers cannot run into the next field.
  void UpdateInt(uint64_t value) {
    std::array<char, 8> be;
    for (int i = 7; i >= 0; --i) {
      be[i] = static_cast<char>(value & 0xff);
      value >>= 8;
    }
    Update(std::string_view(be.data(), be.size()));
  }

  void UpdateField(std::string_view bytes) {
    UpdateInt(bytes.size());
    Update(bytes);
  }

  std::string HexDigest() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest;
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), digest.data(), &size) != 1) Die("EVP_DigestFinal_ex");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(size * 2);
    for (unsigned int i = 0; i < size; ++i) {
      hex.push_back(kHex[digest[i] >> 4]);
      hex.push_back(kHex[digest[i] & 0xf]);
    }
    return hex;
  }

 private:
  struct CtxFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };

  [[noreturn]] static void Die(const char* call) {
    std::fprintf(stderr, "tminus: fatal: %s failed computing SHA-256\n", call);
    std::abort();
  }

  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx_;
};

}  // namespace

std::string Sha256Hex(const std::string& bytes) {
  Sha256 sha;
  sha.Update(bytes);
  return sha.HexDigest();
}

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
  Sha256 sha;
  sha.UpdateField(previous_hash);
  sha.UpdateInt(static_cast<uint64_t>(seq));
  sha.UpdateInt(static_cast<uint64_t>(wall_ms));
  sha.UpdateField(actor);
  sha.UpdateField(type);
  sha.UpdateField(payload);
  return sha.HexDigest();
}

}  // namespace journal_internal
}  // namespace tminus
