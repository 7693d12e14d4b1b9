// What cpp-httplib does not expose: the sockets of its connections. Found
// among this process's descriptors, for the two things that need them:
// resetting one connection (a fault) and ending idle keep-alive connections
// at shutdown (cpp-httplib 0.11 would otherwise wait out their keep-alive
// timeout before it stops).
#pragma once

namespace s3emu {

// The socket of the connection between local_port and remote_port, or -1.
int FindConnectionSocket(int local_port, int remote_port);
// Makes the next close() of `fd` send a TCP RST instead of a FIN.
void ArmReset(int fd);
// shutdown(SHUT_RDWR) of every connected TCP socket of the process, so the
// threads serving them see end-of-stream and return.
void ShutdownConnectedSockets();

}  // namespace s3emu
