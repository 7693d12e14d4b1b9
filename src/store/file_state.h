// The lifecycle of one object (PRODUCT.md §4) and its spelling in the state
// database's `state` column, which users query with sqlite3: the strings are
// a public contract and never change.
//
//   discovered ──► downloading ──► downloaded ──► verified ──► deleted
//       │                                            (stops here with --keep-source)
//       └─► glacier_restore_requested ──► glacier_restoring ──► downloading …
//   any step ──► error; `retry`/`reset` put it back to discovered
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace s3m::store {

enum class FileState {
  kDiscovered,
  kDownloading,
  kDownloaded,
  kVerified,
  kDeleted,
  kGlacierRestoreRequested,
  kGlacierRestoring,
  kError,
};

inline constexpr std::array<FileState, 8> kAllFileStates = {
    FileState::kDiscovered,          FileState::kDownloading,      FileState::kDownloaded,
    FileState::kVerified,            FileState::kDeleted,          FileState::kGlacierRestoreRequested,
    FileState::kGlacierRestoring,    FileState::kError,
};

// "discovered", "glacier_restore_requested", ...
std::string_view FileStateName(FileState state);
std::optional<FileState> ParseFileState(std::string_view name);

// Whether the lifecycle allows `from` -> `to`. Restarting a step is allowed
// (downloading -> downloading after a crash); going back to discovered is
// allowed from every state but deleted (reset, retry, an object changed in
// S3); anything may fail into error.
bool IsAllowedTransition(FileState from, FileState to);

// Storage classes whose objects must be restored before a GET can read them.
// INTELLIGENT_TIERING needs one only in an archive access tier, which only
// HeadObject tells (x-amz-archive-status); the engine records that.
bool StorageClassNeedsRestore(std::string_view storage_class);

}  // namespace s3m::store
