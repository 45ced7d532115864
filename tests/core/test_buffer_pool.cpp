#include "../support/catch.hpp"

#include <algorithm>
#include <atomic>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/buffer_pool.hpp"

using namespace igtb;

namespace {

/// Hooks that record which storage is hooked now (as page-locking would).
struct Recorder {
  std::set<const std::uint8_t*> live;
  int creates = 0, destroys = 0;
  bool fail = false;
  BufferPool::Hooks hooks() {
    BufferPool::Hooks h;
    h.on_create = [this](std::uint8_t* p, std::size_t n) {
      if (fail) throw std::runtime_error("cannot page-lock " + std::to_string(n) + " bytes");
      ++creates;
      live.insert(p);
    };
    h.on_destroy = [this](std::uint8_t* p, std::size_t) {
      ++destroys;
      CHECK(live.erase(p) == 1);  // only what was hooked, once
    };
    return h;
  }
};

}  // namespace

TEST_CASE("buffer pool: a released buffer comes back with the same storage, hooked once") {
  Recorder rec;
  BufferPool pool(2, rec.hooks());
  const std::uint8_t* first;
  {
    auto a = pool.acquire(1000);
    REQUIRE(a);
    CHECK(a->size() == 1000);
    first = a->data();
    CHECK(rec.live.count(first) == 1);
  }
  CHECK(pool.idle() == 1);
  auto b = pool.acquire(600);  // smaller: the same storage, resized within its capacity
  REQUIRE(b);
  CHECK(b->data() == first);
  CHECK(b->size() == 600);
  CHECK(rec.creates == 1);
  CHECK(pool.created() == 1);
  CHECK(pool.acquired() == 2);
  CHECK(pool.misses() == 0);
}

TEST_CASE("buffer pool: at most N held at once; the N+1th is a miss, not a wait") {
  Recorder rec;
  BufferPool pool(3, rec.hooks());
  std::vector<std::shared_ptr<Bytes>> held;
  for (int i = 0; i < 3; ++i) held.push_back(pool.acquire(100));
  for (const auto& h : held) REQUIRE(h);
  CHECK(std::set<const std::uint8_t*>{held[0]->data(), held[1]->data(), held[2]->data()}.size() == 3);
  CHECK_FALSE(pool.acquire(100));
  CHECK_FALSE(pool.acquire(10));
  CHECK(pool.misses() == 2);
  held.pop_back();
  CHECK(pool.acquire(100));
  CHECK(rec.creates == 3);
}

TEST_CASE("buffer pool: a buffer too small for a larger frame is replaced and its storage unhooked") {
  Recorder rec;
  BufferPool pool(1, rec.hooks());
  pool.acquire(100).reset();
  auto big = pool.acquire(5000);
  REQUIRE(big);
  CHECK(big->size() == 5000);
  CHECK(rec.creates == 2);
  CHECK(rec.destroys == 1);
  CHECK(rec.live.size() == 1);
  CHECK(rec.live.count(big->data()) == 1);
}

TEST_CASE("buffer pool: a failing hook throws from acquire and leaves the pool usable") {
  Recorder rec;
  BufferPool pool(1, rec.hooks());
  rec.fail = true;
  CHECK_THROWS_WITH(pool.acquire(64), Catch::Contains("cannot page-lock 64 bytes"));
  CHECK(pool.acquired() == 0);
  rec.fail = false;
  auto b = pool.acquire(64);  // the failed one did not use up the pool's one buffer
  CHECK(b);
  CHECK(pool.created() == 1);
}

TEST_CASE("buffer pool: buffers held past the pool's end are unhooked and freed by their last holder") {
  Recorder rec;
  std::shared_ptr<Bytes> kept;
  {
    BufferPool pool(2, rec.hooks());
    kept = pool.acquire(100);
    pool.acquire(100).reset();  // idle at the end: freed by the pool
  }
  CHECK(rec.destroys == 1);
  CHECK(rec.live.size() == 1);
  kept.reset();
  CHECK(rec.destroys == 2);
  CHECK(rec.live.empty());
  CHECK_THROWS_AS(BufferPool(0), std::invalid_argument);
}

TEST_CASE("buffer pool: acquired and released on four threads at once (the listener's readers), never over the limit") {
  BufferPool pool(3);
  std::atomic<int> held{0}, most{0}, got{0}, overwritten{0};  // Catch's CHECK is not for threads: counted here
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        auto b = pool.acquire(std::size_t(100 + (i + t) % 3));
        if (!b) continue;
        got.fetch_add(1);
        const int now = held.fetch_add(1) + 1;
        int m = most.load();
        while (now > m && !most.compare_exchange_weak(m, now)) {
        }
        std::fill(b->begin(), b->end(), std::uint8_t(t));  // no other thread writes into it meanwhile
        if (!std::all_of(b->begin(), b->end(), [t](std::uint8_t v) { return v == std::uint8_t(t); })) overwritten.fetch_add(1);
        held.fetch_sub(1);
      }
    });
  for (auto& t : threads) t.join();
  CHECK(most.load() <= 3);
  CHECK(overwritten.load() == 0);
  CHECK(got.load() + int(pool.misses()) == 2000);
  CHECK(pool.idle() <= 3);
}

TEST_CASE("buffer pool: released on other threads while acquired on one, nothing lost or doubled") {
  BufferPool pool(4);
  std::atomic<int> released{0};
  std::vector<std::thread> threads;
  int got = 0;
  for (int i = 0; i < 2000; ++i) {
    auto b = pool.acquire(std::size_t(64 + i % 7));
    if (!b) continue;
    ++got;
    (*b)[0] = std::uint8_t(i);
    threads.emplace_back([b = std::move(b), &released] { released.fetch_add(1); });
    if (threads.size() == 8) {
      for (auto& t : threads) t.join();
      threads.clear();
    }
  }
  for (auto& t : threads) t.join();
  CHECK(released.load() == got);
  CHECK(got + int(pool.misses()) == 2000);
  CHECK(pool.idle() <= 4);
  // Every buffer came back: four can be held at once again, not a fifth.
  const std::uint64_t misses = pool.misses();
  std::vector<std::shared_ptr<Bytes>> all;
  for (int i = 0; i < 4; ++i) all.push_back(pool.acquire(70));
  for (const auto& b : all) CHECK(b);
  CHECK_FALSE(pool.acquire(70));
  CHECK(pool.misses() == misses + 1);
}
