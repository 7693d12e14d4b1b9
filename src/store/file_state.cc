#include "store/file_state.h"

namespace s3m::store {

std::string_view FileStateName(FileState state) {
  switch (state) {
    case FileState::kDiscovered: return "discovered";
    case FileState::kDownloading: return "downloading";
    case FileState::kDownloaded: return "downloaded";
    case FileState::kVerified: return "verified";
    case FileState::kDeleted: return "deleted";
    case FileState::kGlacierRestoreRequested: return "glacier_restore_requested";
    case FileState::kGlacierRestoring: return "glacier_restoring";
    case FileState::kError: return "error";
  }
  return "error";
}

std::optional<FileState> ParseFileState(std::string_view name) {
  for (FileState s : kAllFileStates) {
    if (FileStateName(s) == name) return s;
  }
  return std::nullopt;
}

bool IsAllowedTransition(FileState from, FileState to) {
  using S = FileState;
  if (to == S::kError) return from != S::kDeleted;
  if (to == S::kDiscovered) return from != S::kDeleted;
  switch (from) {
    case S::kDiscovered:
      return to == S::kDownloading || to == S::kGlacierRestoreRequested ||
             to == S::kGlacierRestoring;
    case S::kGlacierRestoreRequested:
      return to == S::kGlacierRestoreRequested || to == S::kGlacierRestoring ||
             to == S::kDownloading;
    case S::kGlacierRestoring:
      // A restored copy that expired before the download is asked again.
      return to == S::kGlacierRestoring || to == S::kGlacierRestoreRequested ||
             to == S::kDownloading;
    case S::kDownloading:
      return to == S::kDownloading || to == S::kDownloaded ||
             to == S::kGlacierRestoreRequested;  // restored copy expired mid-download
    case S::kDownloaded:
      return to == S::kVerified || to == S::kDownloading;  // bad copy: fetch again
    case S::kVerified:
      return to == S::kDeleted;
    case S::kDeleted:
      return false;
    case S::kError:
      return false;  // only back to discovered (retry/reset), handled above
  }
  return false;
}

bool StorageClassNeedsRestore(std::string_view storage_class) {
  return storage_class == "GLACIER" || storage_class == "DEEP_ARCHIVE";
}

}  // namespace s3m::store
