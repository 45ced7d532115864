// Warnings that a peer can repeat at will (a CRC mismatch per message, a
// malformed frame per device) without flooding the log: the first occurrence
// of each key is logged in full by the caller, later ones are only counted,
// and the counts are handed back at most once per interval per key (due()) and
// once more at the end (flush()), for a summary line such as
//   "<peer>: 37 more messages dropped for CRC mismatch in the last 10 s".
// The caller writes the lines (this header logs nothing itself), so each user
// words them its own way.
//
// A key is a *reason*, not a message: derive it from what does not change from
// one occurrence to the next (see stable_reason(), which blanks the numbers of
// an error text). The number of distinct keys is bounded (max_keys, 256 by
// default): further keys are counted together under kOverflowKey, so a hostile
// peer cannot grow memory by varying its errors.
//
// Thread-safe: every member locks an internal mutex (one instance per
// connection or per writer is the intended use, so it is never contended).
// The clock is injectable, so tests need not sleep through the interval.
#pragma once

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace igtb {

/// `text` with every number blanked to '#' (decimal digit runs, and 0x + hex
/// digits at the start of a word), so errors that differ only in their values
/// (CRCs, sizes, counts) give one key:
/// "CRC mismatch (header 12, body 0x3f)" -> "CRC mismatch (header #, body #)",
/// "IMAGE 640x480x1" -> "IMAGE #x#x#".
inline std::string stable_reason(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  const auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '0' && (i == 0 || !word(text[i - 1])) && i + 2 < text.size() &&
        (text[i + 1] == 'x' || text[i + 1] == 'X') && hex(text[i + 2])) {
      i += 2;
      while (i < text.size() && hex(text[i])) ++i;
      out += '#';
    } else if (digit(text[i])) {
      while (i < text.size() && digit(text[i])) ++i;
      out += '#';
    } else {
      out += text[i++];
    }
  }
  return out;
}

class RateLimitedLog {
 public:
  using Clock = std::chrono::steady_clock;
  /// The time source; steady_clock::now when empty.
  using Now = std::function<Clock::time_point()>;

  static constexpr std::size_t kDefaultMaxKeys = 256;
  /// Where occurrences of keys beyond max_keys are counted.
  static constexpr std::string_view kOverflowKey = "other reasons";

  /// Occurrences of one key that were counted but not logged.
  struct Suppressed {
    std::string key;
    std::uint64_t count = 0;  ///< not logged since the key's previous line (its first occurrence or summary)
    double seconds = 0;       ///< time since that previous line: the "in the last N s" of the summary
    std::uint64_t total = 0;  ///< every occurrence of the key so far, the logged first one included
    /// seconds to 0.1 s, for "{:g}": "10", "0.2", "3600".
    double seconds_rounded() const { return std::round(seconds * 10) / 10; }
  };

  /// interval: the least time between two lines of one key (first line and
  /// summaries); max_keys: distinct keys kept (at least 1), kOverflowKey beyond.
  explicit RateLimitedLog(std::chrono::milliseconds interval = std::chrono::seconds(10),
                          std::size_t max_keys = kDefaultMaxKeys, Now now = {})
      : interval_(interval), max_keys_(std::max<std::size_t>(max_keys, 1)), now_(std::move(now)) {}

  /// Records one occurrence of `key`. True the first time the key (or, once
  /// max_keys are taken, the first time any new key) is seen: the caller logs
  /// that occurrence in full. False afterwards: it is counted, for due()/flush().
  bool should_log(const std::string& key) {
    std::lock_guard<std::mutex> lock(m_);
    auto it = keys_.find(key);
    const bool full = keys_.size() >= max_keys_;
    if (it == keys_.end() && full) it = keys_.find(std::string(kOverflowKey));  // new keys share one entry
    if (it == keys_.end()) {
      Entry e;
      e.last_line = clock();
      e.total = 1;
      keys_.emplace(full ? std::string(kOverflowKey) : key, e);
      return true;
    }
    Entry& e = it->second;
    ++e.total;
    if (e.pending++ == 0) {
      const Clock::time_point due_at = e.last_line + interval_;
      if (pending_keys_++ == 0 || due_at < next_due_) next_due_ = due_at;
    }
    return false;
  }

  /// The counts of the keys whose interval has passed since their previous
  /// line, each reset (its previous line is now). Empty, without reading the
  /// clock, while nothing is counted: cheap enough to call after every message.
  std::vector<Suppressed> due() {
    std::lock_guard<std::mutex> lock(m_);
    if (pending_keys_ == 0) return {};
    const Clock::time_point now = clock();
    if (now < next_due_) return {};
    return take(now, false);
  }

  /// Every count not reported yet, whether due or not, each reset: for the
  /// last summary when the connection (or recording) ends.
  std::vector<Suppressed> flush() {
    std::lock_guard<std::mutex> lock(m_);
    if (pending_keys_ == 0) return {};
    return take(clock(), true);
  }

  /// Whether some occurrence is counted and not yet reported.
  bool has_suppressed() const {
    std::lock_guard<std::mutex> lock(m_);
    return pending_keys_ > 0;
  }
  /// Occurrences of `key` counted and not yet reported (0 for an unknown key).
  std::uint64_t suppressed(const std::string& key) const {
    std::lock_guard<std::mutex> lock(m_);
    const auto it = keys_.find(key);
    return it == keys_.end() ? 0 : it->second.pending;
  }
  /// Every occurrence of `key` so far (0 for an unknown key).
  std::uint64_t total(const std::string& key) const {
    std::lock_guard<std::mutex> lock(m_);
    const auto it = keys_.find(key);
    return it == keys_.end() ? 0 : it->second.total;
  }
  /// Distinct keys kept (at most max_keys, + 1 for kOverflowKey).
  std::size_t keys() const {
    std::lock_guard<std::mutex> lock(m_);
    return keys_.size();
  }
  std::chrono::milliseconds interval() const { return interval_; }
  /// The interval in seconds, for "every {:g} s" in log lines ("10", "0.1").
  double interval_s() const { return double(interval_.count()) / 1000.0; }

 private:
  struct Entry {
    Clock::time_point last_line{};  ///< the key's first line or its last summary
    std::uint64_t pending = 0;
    std::uint64_t total = 0;
  };

  Clock::time_point clock() const { return now_ ? now_() : Clock::now(); }

  /// Takes the pending counts (all, or those due at `now`); m_ held.
  std::vector<Suppressed> take(Clock::time_point now, bool all) {
    std::vector<Suppressed> out;
    bool have_next = false;
    for (auto& [key, e] : keys_) {
      if (e.pending == 0) continue;
      if (all || now - e.last_line >= interval_) {
        out.push_back({key, e.pending, std::chrono::duration<double>(now - e.last_line).count(), e.total});
        e.pending = 0;
        e.last_line = now;
        --pending_keys_;
      } else if (!have_next || e.last_line + interval_ < next_due_) {
        next_due_ = e.last_line + interval_;
        have_next = true;
      }
    }
    return out;
  }

  const std::chrono::milliseconds interval_;
  const std::size_t max_keys_;
  const Now now_;
  mutable std::mutex m_;
  std::map<std::string, Entry> keys_;
  std::size_t pending_keys_ = 0;   ///< keys with pending > 0
  Clock::time_point next_due_{};   ///< the earliest time a pending key is due (valid while pending_keys_ > 0)
};

}  // namespace igtb
