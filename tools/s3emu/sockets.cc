#include "s3emu/sockets.h"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>

namespace s3emu {
namespace {

int PortOf(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return -1;
}

// Calls `visit(fd, local_port, remote_port)` for each connected socket until it returns true.
// The descriptors belong to httplib's worker threads, which may close them (and
// the process reuse the numbers) while we look: every call below fails cleanly
// on a closed descriptor, a reused one is a socket with other ports or no
// socket at all, and `visit` only acts on the ports it asked for. The caller's
// own connection cannot be closed meanwhile. ThreadSanitizer cannot model this
// and is told so in tests/sanitizers/tsan.supp.
void ForEachConnectedSocket(const std::function<bool(int, int, int)>& visit) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return;
  const int own = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    const int fd = std::atoi(entry->d_name);
    struct stat st {};
    if (fd <= 2 || fd == own || ::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage local{}, remote{};
    socklen_t local_len = sizeof(local), remote_len = sizeof(remote);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &remote_len) != 0) continue;
    if (visit(fd, PortOf(local), PortOf(remote))) break;
  }
  ::closedir(dir);
}

}  // namespace

int FindConnectionSocket(int local_port, int remote_port) {
  int found = -1;
  ForEachConnectedSocket([&](int fd, int local, int remote) {
    if (local != local_port || remote != remote_port) return false;
    found = fd;
    return true;
  });
  return found;
}

void ArmReset(int fd) {
  linger lg{};
  lg.l_onoff = 1;
  lg.l_linger = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

void ShutdownConnectedSockets() {
  ForEachConnectedSocket([](int fd, int, int) {
    ::shutdown(fd, SHUT_RDWR);
    return false;
  });
}

}  // namespace s3emu
