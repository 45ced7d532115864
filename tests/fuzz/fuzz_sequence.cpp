// Fuzz target: the PLUS sequence reader. The first byte picks the extension
// (.mha or .nrrd); the rest is written to a per-process temporary file that
// io::read_sequence reads. Documented exception: io::SequenceError.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "fuzz_util.hpp"
#include "io/sequence.hpp"

using namespace igtb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const std::string base = "/tmp/igtb_fuzz_sequence_" + std::to_string(::getpid());
  const std::string path = base + ((data[0] & 1) ? ".nrrd" : ".mha");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    const bool ok = std::fwrite(data + 1, 1, size - 1, f) == size - 1;
    if (std::fclose(f) != 0 || !ok) {
      std::remove(path.c_str());
      return 0;
    }
  }
  try {
    const io::Sequence seq = io::read_sequence(path);
    IGTB_FUZZ_CHECK(seq.frame_bytes() > 0);
    IGTB_FUZZ_CHECK(seq.pixels.size() == seq.frames.size() * seq.frame_bytes());
    for (std::size_t i = 0; i < seq.frames.size(); ++i) IGTB_FUZZ_CHECK(seq.frame_pixels(i) != nullptr);
  } catch (const io::SequenceError&) {
  }
  std::remove(path.c_str());
  return 0;
}
