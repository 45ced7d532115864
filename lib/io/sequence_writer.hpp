// Writing a PLUS sequence metafile (.igs.mha): the MetaImage header PLUS
// writes (NDims 3 for 2D frames, geometry, Kinds, UltrasoundImageOrientation
// kept from the global fields), one Seq_FrameNNNN_* block per frame
// (Timestamp, ImageStatus, each transform and its status, other fields), then
// the pixels, raw or zlib-compressed. read_sequence() reads it back as it was.
#pragma once

#include <cstdint>
#include <string>

#include "io/sequence.hpp"

namespace igtb::io {

/// Throws SequenceError (naming the path) if the file cannot be written or
/// the sequence is inconsistent (pixel bytes vs frame count and size).
void write_metaimage_sequence(const std::string& path, const Sequence& seq, bool compress = true);

/// The MetaImage header of `seq`'s first `frames` frames (geometry, global
/// fields, per-frame fields from seq.frames), ending with
/// "ElementDataFile = <element_data_file>" ("LOCAL" or a data file's name).
/// `compressed_size` is written as CompressedDataSize when `compress`.
/// seq.pixels is not used. Throws SequenceError naming seq.path.
std::string metaimage_sequence_header(const Sequence& seq, std::size_t frames, bool compress,
                                      std::uint64_t compressed_size, const std::string& element_data_file);

}  // namespace igtb::io
