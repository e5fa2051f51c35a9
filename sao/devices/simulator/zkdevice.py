"""A small ZK binary-protocol device (port 4370) for tests, benchmarks and demos.

It replies to the requests pyzk 0.9 sends for a pull: connect (with optional comm key),
enable/disable, firmware version, options (~SerialNumber), record counts, the user list and
the attendance log through the buffered read (1503 prepare, 1504 chunk, 1502 free), and
clear attendance. It serves TCP and UDP on 127.0.0.1 with an ephemeral port by default.

Faults for tests: `reported_records` makes the count query disagree with the log (a punch
that landed between the two, or firmware that counts differently), and `serve_bytes` makes
the device stop answering chunk requests that start at or beyond that buffer offset, as a
device does when a long transfer times out.

Packet layout (adrobinoga/zk-protocol, and what pyzk sends): an 8-byte header
`<HHHH` command, checksum, session id, reply id, then the payload; over TCP every packet is
prefixed with `<HHI` 0x5050, 0x7282, packet length.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from struct import pack, unpack

from zk import const
from zk.base import make_commkey

logger = logging.getLogger(__name__)

CMD_PREPARE_BUFFER = 1503
CMD_READ_BUFFER = 1504
TCP_MAGIC = (const.MACHINE_PREPARE_DATA_1, const.MACHINE_PREPARE_DATA_2)
UDP_DATA_PACKET = 1024  # pyzk reads UDP data packets with recv(1024 + 8)


@dataclass
class SimulatedUser:
    uid: int  # the device's internal slot number
    user_id: str  # the PIN shown on the device and written into the log
    name: str = ""
    privilege: int = 0
    password: str = ""
    card: int = 0
    group_id: str = "1"


@dataclass
class SimulatedPunch:
    user_id: str
    time: dt.datetime  # naive device wall-clock time
    state: int = 0  # pyzk calls this `punch`
    verify: int = 1  # pyzk calls this `status`
    workcode: int = 0
    uid: int | None = None  # 8-byte layout only: the slot written instead of the user's own


def encode_time(value: dt.datetime) -> int:
    """Encode a wall-clock time the ZK way: ((((Y-2000)*12+M-1)*31+D-1)*24+h)*60+m)*60+s."""
    days = ((value.year - 2000) * 12 + value.month - 1) * 31 + value.day - 1
    return ((days * 24 + value.hour) * 60 + value.minute) * 60 + value.second


def checksum(payload: bytes) -> int:
    """Return the ZK packet checksum (ones' complement of the 16-bit word sum)."""
    if len(payload) % 2:
        payload += b"\x00"
    total = 0
    for (word,) in (unpack("<H", payload[i:i + 2]) for i in range(0, len(payload), 2)):
        total += word
        if total > const.USHRT_MAX:
            total -= const.USHRT_MAX
    total = ~total
    while total < 0:
        total += const.USHRT_MAX
    return total


def make_packet(command: int, session_id: int, reply_id: int, data: bytes = b"") -> bytes:
    header = pack("<4H", command, 0, session_id, reply_id)
    return pack("<4H", command, checksum(header + data), session_id, reply_id) + data


@dataclass
class DeviceState:
    """Contents of the simulated terminal, and counters a test can assert on."""

    serial: str = "SIM0000000001"
    firmware: str = "Ver 6.60 Apr 13 2022"
    record_size: int = 16  # 8, 16 or 40 bytes per attendance record
    comm_key: int = 0
    users: list[SimulatedUser] = field(default_factory=list)
    punches: list[SimulatedPunch] = field(default_factory=list)
    reported_records: int | None = None  # record count to report when it must disagree with the log
    serve_bytes: int | None = None  # chunk requests starting at or past this offset get no reply
    clear_count: int = 0
    connect_count: int = 0
    enabled: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def attlog_buffer(self) -> bytes:
        users_by_pin = {user.user_id: user for user in self.users}
        records = []
        for punch in self.punches:
            time_bytes = pack("<I", encode_time(punch.time))
            if self.record_size == 8:
                uid = punch.uid if punch.uid is not None else users_by_pin[punch.user_id].uid
                records.append(pack("<HB4sB", uid, punch.verify, time_bytes, punch.state))
            elif self.record_size == 16:
                records.append(pack("<I4sBB2sI", int(punch.user_id), time_bytes, punch.verify,
                                    punch.state, b"\x00\x00", punch.workcode))
            else:
                user = users_by_pin.get(punch.user_id)
                uid = user.uid if user else 0
                records.append(pack("<H24sB4sB8s", uid, punch.user_id.encode(), punch.verify,
                                    time_bytes, punch.state, b"\x00" * 8))
        body = b"".join(records)
        return pack("<I", len(body)) + body

    def user_buffer(self) -> bytes:
        body = b"".join(
            pack("<HB8s24sIx7sx24s", user.uid, user.privilege, user.password.encode(),
                 user.name.encode(), user.card, user.group_id.encode(), user.user_id.encode())
            for user in self.users
        )
        return pack("<I", len(body)) + body

    def sizes(self) -> bytes:
        fields = [0] * 20
        fields[4] = len(self.users)
        fields[8] = len(self.punches) if self.reported_records is None else self.reported_records
        fields[14], fields[15], fields[16] = 3000, 3000, 100000
        return pack("<20i", *fields) + pack("<3i", 0, 0, 0)


class _Session:
    """Protocol state of one client (one TCP connection or one UDP peer address)."""

    next_session_id = 1000

    def __init__(self, device: DeviceState):
        self.device = device
        _Session.next_session_id += 1
        self.session_id = _Session.next_session_id
        self.authenticated = device.comm_key == 0
        self.buffer = b""

    def handle(self, command: int, reply_id: int, data: bytes, udp: bool) -> list[bytes] | None:
        """Return the reply packets for one request, or None to stay silent."""
        device = self.device

        def reply(code: int, payload: bytes = b"") -> list[bytes]:
            return [make_packet(code, self.session_id, reply_id, payload)]

        if command == const.CMD_CONNECT:
            with device.lock:
                device.connect_count += 1
            return reply(const.CMD_ACK_OK if self.authenticated else const.CMD_ACK_UNAUTH)
        if command == const.CMD_AUTH:
            expected = make_commkey(device.comm_key, self.session_id)
            self.authenticated = data[:4] == expected
            return reply(const.CMD_ACK_OK if self.authenticated else const.CMD_ACK_UNAUTH)
        if not self.authenticated:
            return reply(const.CMD_ACK_UNAUTH)

        if command == const.CMD_EXIT:
            return reply(const.CMD_ACK_OK)
        if command in (const.CMD_ENABLEDEVICE, const.CMD_DISABLEDEVICE):
            device.enabled = command == const.CMD_ENABLEDEVICE
            return reply(const.CMD_ACK_OK)
        if command == const.CMD_GET_VERSION:
            return reply(const.CMD_ACK_OK, device.firmware.encode() + b"\x00")
        if command == const.CMD_OPTIONS_RRQ:
            key = data.split(b"\x00")[0]
            value = device.serial.encode() if key == b"~SerialNumber" else b""
            return reply(const.CMD_ACK_OK, key + b"=" + value + b"\x00")
        if command == const.CMD_GET_FREE_SIZES:
            with device.lock:
                return reply(const.CMD_ACK_OK, device.sizes())
        if command == const.CMD_GET_TIME:
            return reply(const.CMD_ACK_OK, pack("<I", encode_time(dt.datetime.now())))
        if command in (const.CMD_FREE_DATA, const.CMD_REFRESHDATA):
            self.buffer = b""
            return reply(const.CMD_ACK_OK)
        if command == const.CMD_CLEAR_ATTLOG:
            with device.lock:
                device.punches.clear()
                device.clear_count += 1
            return reply(const.CMD_ACK_OK)
        if command == CMD_PREPARE_BUFFER:
            _, table, fct, _ = unpack("<bhii", data[:11])
            with device.lock:
                if table == const.CMD_ATTLOG_RRQ:
                    self.buffer = device.attlog_buffer()
                elif table == const.CMD_USERTEMP_RRQ and fct == const.FCT_USER:
                    self.buffer = device.user_buffer()
                else:
                    return reply(const.CMD_ACK_ERROR)
            return reply(const.CMD_ACK_OK, b"\x00" + pack("<I", len(self.buffer)) + b"\x00" * 4)
        if command == CMD_READ_BUFFER:
            start, size = unpack("<ii", data[:8])
            if device.serve_bytes is not None and start >= device.serve_bytes:
                logger.info("Simulated device %s stalls at buffer offset %s", device.serial, start)
                return None
            chunk = self.buffer[start:start + size]
            if not udp:
                return reply(const.CMD_DATA, chunk)
            packets = reply(const.CMD_PREPARE_DATA, pack("<I", len(chunk)))
            for offset in range(0, len(chunk), UDP_DATA_PACKET):
                packets += reply(const.CMD_DATA, chunk[offset:offset + UDP_DATA_PACKET])
            return packets + reply(const.CMD_ACK_OK)
        return reply(const.CMD_ACK_UNKNOWN)


class _TCPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        session = _Session(self.server.device)
        connection: socket.socket = self.request
        while True:
            top = _recv_exact(connection, 8)
            if top is None:
                return
            magic1, magic2, length = unpack("<HHI", top)
            if (magic1, magic2) != TCP_MAGIC:
                logger.warning("Simulated device dropped a TCP packet without the ZK prefix")
                return
            packet = _recv_exact(connection, length)
            if packet is None or len(packet) < 8:
                return
            command, _, _, reply_id = unpack("<4H", packet[:8])
            replies = session.handle(command, reply_id, packet[8:], udp=False)
            if replies is None:
                # Stalled: keep the connection open and silent until the client gives up.
                _recv_exact(connection, 1)
                return
            for reply in replies:
                connection.sendall(pack("<HHI", *TCP_MAGIC, len(reply)) + reply)
            if command == const.CMD_EXIT:
                return


class _UDPHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        packet, sock = self.request
        if len(packet) < 8:
            return
        sessions = self.server.sessions
        command, _, _, reply_id = unpack("<4H", packet[:8])
        if command == const.CMD_CONNECT or self.client_address not in sessions:
            sessions[self.client_address] = _Session(self.server.device)
        replies = sessions[self.client_address].handle(command, reply_id, packet[8:], udp=True)
        for reply in replies or []:
            sock.sendto(reply, self.client_address)


def _recv_exact(connection: socket.socket, size: int) -> bytes | None:
    chunks = []
    while size > 0:
        try:
            data = connection.recv(size)
        except OSError:
            return None
        if not data:
            return None
        chunks.append(data)
        size -= len(data)
    return b"".join(chunks)


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _UDPServer(socketserver.ThreadingUDPServer):
    daemon_threads = True


class ZKDeviceSimulator:
    """Run a simulated device on TCP and UDP, same port number; use as a context manager.

    >>> with ZKDeviceSimulator(DeviceState(serial="SIM1")) as sim:
    ...     ZK("127.0.0.1", port=sim.port, ommit_ping=True).connect()
    """

    def __init__(self, device: DeviceState, *, host: str = "127.0.0.1", port: int = 0):
        self.device = device
        self.host = host
        self.tcp = _TCPServer((host, port), _TCPHandler)
        self.tcp.device = device
        self.port = self.tcp.server_address[1]
        self.udp = _UDPServer((host, self.port), _UDPHandler)
        self.udp.device = device
        self.udp.sessions = {}
        self._threads: list[threading.Thread] = []

    def start(self) -> ZKDeviceSimulator:
        for server in (self.tcp, self.udp):
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      daemon=True, name=f"zk-sim-{self.port}")
            thread.start()
            self._threads.append(thread)
        logger.info("Simulated ZK device %s listening on %s:%s", self.device.serial, self.host, self.port)
        return self

    def stop(self) -> None:
        for server in (self.tcp, self.udp):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=2)
        logger.info("Simulated ZK device %s stopped", self.device.serial)

    def __enter__(self) -> ZKDeviceSimulator:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
