//! Realtime delivery. For now the Phoenix Channels v2 wire format; the hub and the socket
//! endpoint build on it.

pub mod protocol;
