"""The phone gateway (`imr-live phone`): SIP callers join live sessions by phone PIN.

SIP and RTP (G.711, RFC 2833/4733 key presses) come from pyVoIP, a registry package
(``pip install imr-live[phone]``); this module never parses SIP itself. pyVoIP talks to
one SIP peer: the clinic's trunk or PBX (or, in tests, SIPp on loopback). Each answered
call becomes a guest on the live channel (python-socketio, like a browser) and, once
admitted, an aiortc peer of the SFU: the caller's voice is published, and the room's
audio tracks are mixed into the one stream a phone can take.

No phone number is stored or logged; a call is named in logs by a short counter.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import importlib
import itertools
import logging
import re
import threading
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import socketio
from aiohttp import web
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)

from imr_live.phone.audio import (
    FRAME_S,
    LINE_FRAME,
    CallerTrack,
    RoomMix,
    line_to_pcm,
    mix,
    pcm_to_line,
    speak,
)
from imr_live.phone.sip import Routed, cancel_for
from sfu.supervision import stop_task

log = logging.getLogger("imr_live.phone")

SAY = {
    "welcome": "Welcome to I M R Live. Please type your phone PIN, then press the hash key.",
    "again": "That PIN is not right. Please try again.",
    "refused": "Sorry, that PIN is not right. Goodbye.",
    "consent": "This group may be recorded. Press 1 if you agree. Press 2 if you do not.",
    "wait": "Please wait. The leader will let you in.",
    "in": "You are in the group. Press star 6 to mute. Press star 9 to raise your hand. "
    "Press star 1 to hear the slide.",
    "denied": "The leader did not let you in. Goodbye.",
    "muted": "You are muted.",
    "unmuted": "You are not muted.",
    "hand_up": "Your hand is up.",
    "hand_down": "Your hand is down.",
    "no_slide": "There is no slide now.",
    "trouble": "Sorry, something went wrong. Please call again later. Goodbye.",
    "called": "Hello. This is I M R Live. Your group leader is calling you to join the group. "
    "Press 1 to join.",
    "not_joining": "We did not hear a 1. Goodbye.",
}


GONE = ("denied", "removed", "closed", "disconnect")
"""Live-channel messages after which the caller is no longer in the session."""


@dataclass
class GatewayConfig:
    """Where the gateway listens and which server it joins."""

    server: str = "http://127.0.0.1:8080"
    gateway_key: str = ""
    sip_host: str = "127.0.0.1"
    sip_port: int = 5070
    peer_host: str = "127.0.0.1"
    """The SIP peer (trunk, PBX or test tool) calls come from and replies go to."""
    peer_port: int = 5060
    rtp_low: int = 10000
    rtp_high: int = 20000
    pin_tries: int = 3
    digit_timeout_s: float = 20.0
    voice: str = "en-us"
    control_host: str = "127.0.0.1"
    control_port: int = 0
    """HTTP port where the server asks for calls to be placed (0: no dial-out)."""
    ring_s: float = 45.0
    """How long a placed call may ring before it counts as not answered."""


REPORT_S = 10.0
"""How long the gateway tries to tell the server a call's outcome."""


@dataclass(frozen=True)
class Dial:
    """A call the server asked for: the number (used once, never kept) and whose link."""

    number: str
    token: str
    display_name: str


REFUSALS = {
    486: "busy",
    600: "busy",
    603: "busy",
    480: "no_answer",
    408: "no_answer",
    487: "no_answer",
}
"""Final SIP statuses refusing a placed call, as the outcome the server logs (else failed)."""

DIGITS = re.compile(r"\+?[0-9]{3,15}")

T1_S = 0.5
"""RFC 3261's round-trip estimate: an unanswered INVITE is sent again after T1, 2*T1, ..."""
TIMER_B_S = 64 * T1_S
"""An INVITE the trunk never answered at all (not even 100 Trying) has failed after this."""


def load_pyvoip() -> tuple[Any, Any]:
    """pyVoIP's VoIP module and its SIP message parser."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from pyVoIP.VoIP import VoIP

            sip = importlib.import_module("pyVoIP.SIP")  # after VoIP: they import each other
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("the phone gateway needs pyVoIP: pip install 'imr-live[phone]'") from exc
    importlib.import_module("pyVoIP.RTP").RTPClient.stop = _stop_then_close
    return VoIP, sip.SIPMessage


RTP_THREAD_STOP_S = 1.0
"""How long the end of a call waits for pyVoIP's RTP threads to see it (they look every
10-20 ms)."""


def _stop_then_close(client: Any) -> None:
    """pyVoIP's ``RTPClient.stop``, closing the socket only once its threads have left.

    pyVoIP closed the socket at once, while its sending thread could be between its
    running check and its send: that send failed on the closed socket and the thread
    ended on a "RTP Packet failed to send!" warning, the call's last packet lost.
    """
    client.NSD = False
    here = threading.current_thread()
    for thread in threading.enumerate():
        function = getattr(thread, "function", None)  # pyVoIP runs them as Timers
        if thread is not here and getattr(function, "__self__", None) is client:
            thread.join(RTP_THREAD_STOP_S)
    client.sin.close()
    client.sout.close()


def hide_numbers_in_warnings() -> None:
    """Phone numbers never reach the gateway's output through a Python warning.

    pyVoIP warns with the number it called when a trunk answers 404 or 503
    ("The number '...' was not found"), and resets the warning filters after each
    warning, so a filter cannot stop it: the warning's text is redacted where it is
    shown instead. Idempotent.
    """
    shown = warnings.showwarning
    if getattr(shown, "hides_numbers", False):
        return

    def showwarning(message: Warning | str, *args: Any, **kwargs: Any) -> None:
        text = re.sub(r"\+?[0-9][0-9 ()\-]{2,}[0-9]", "(number not shown)", str(message))
        shown(text, *args, **kwargs)

    showwarning.hides_numbers = True  # type: ignore[attr-defined]
    warnings.showwarning = showwarning


class Prompts:
    """Spoken prompts, made once by espeak-ng."""

    def __init__(self, voice: str) -> None:
        self.voice = voice
        self._cache: dict[str, bytes] = {}
        self.said: list[str] = []
        """Every text played to a caller, in order (slide titles and fixed prompts only)."""

    async def get(self, text: str) -> bytes:
        if text not in self._cache:
            self._cache[text] = await asyncio.to_thread(speak, text, self.voice)
        return self._cache[text]


class Line:
    """One answered call: a 20 ms clock moving audio both ways, and the keys pressed."""

    def __init__(self, call: Any, prompts: Prompts) -> None:
        self.call = call
        self.prompts = prompts
        self.keys: asyncio.Queue[str] = asyncio.Queue()
        self.ended = asyncio.Event()
        self.muted = False
        self.mix: RoomMix | None = None
        self.caller: CallerTrack | None = None
        self.heard_from_caller = 0
        self._speech = bytearray()
        self._spoken = asyncio.Event()
        self._task = asyncio.create_task(self._clock())

    async def say(self, key_or_text: str, wait: bool = True) -> None:
        """Queue a prompt (a SAY key or plain text); with ``wait``, until it has played."""
        text = SAY.get(key_or_text, key_or_text)
        pcm = await self.prompts.get(text)
        self.prompts.said.append(text)
        self._spoken.clear()
        self._speech += pcm + bytes(LINE_FRAME * 2 * 10)
        if wait:
            await self.until(self._spoken.wait())

    async def until(self, awaitable: Awaitable[Any]) -> Any:
        """Await something, but stop (CallEnded) when the caller hangs up first."""
        task = asyncio.ensure_future(awaitable)
        ended = asyncio.create_task(self.ended.wait())
        await asyncio.wait({task, ended}, return_when=asyncio.FIRST_COMPLETED)
        ended.cancel()
        if not task.done():
            task.cancel()
            raise CallEnded
        return task.result()

    async def key(self, within_s: float) -> str | None:
        """The next key pressed, or None after ``within_s`` seconds."""
        try:
            return await self.until(asyncio.wait_for(self.keys.get(), within_s))  # type: ignore[no-any-return]
        except TimeoutError:
            return None

    async def _clock(self) -> None:
        loop = asyncio.get_running_loop()
        start, n = loop.time(), 0
        size = LINE_FRAME * 2
        while not self.ended.is_set():
            n += 1
            await asyncio.sleep(max(0.0, start + n * FRAME_S - loop.time()))
            if self._state() != "ANSWERED":
                self.ended.set()
                break
            for key in self.call.get_dtmf(16):
                self.keys.put_nowait(key)
            heard = line_to_pcm(self.call.read_audio(LINE_FRAME, False))
            if self.caller is not None and not self.muted:
                self.caller.feed(heard)
            self.heard_from_caller += 1
            speech = bytes(self._speech[:size])
            del self._speech[:size]
            if not self._speech:
                self._spoken.set()
            chunks = [speech]
            if self.mix is not None:
                chunks.append(self.mix.take())
            if self._backlog() <= 2 * LINE_FRAME:
                # pyVoIP's sender keeps its own (slightly slower) clock: write only when it
                # has taken what we gave, or the delay to the caller grows all call long.
                self.call.write_audio(pcm_to_line(mix(chunks, size)))

    def _backlog(self) -> int:
        """Line audio written to pyVoIP but not sent yet (bytes; 0 when unknown)."""
        try:
            rtp = self.call.RTPClients[0]
            written = rtp.outOffset - rtp.pmout.offset
            return int(written - rtp.pmout.buffer.tell())
        except (AttributeError, IndexError):
            return 0

    def _state(self) -> str:
        return str(self.call.state.name)

    async def hang_up(self) -> None:
        self.ended.set()
        await self._stop_clock()
        if self._state() == "ANSWERED":
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.call.hangup)

    async def _stop_clock(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class CallEnded(Exception):
    """The caller hung up."""


@dataclass
class Guest:
    """The caller's place on the live channel and in the SFU."""

    sio: socketio.AsyncClient
    messages: asyncio.Queue[tuple[str, Any]] = field(default_factory=asyncio.Queue)
    pub_pc: RTCPeerConnection | None = None
    sub_pc: RTCPeerConnection | None = None
    last_offer: str = ""
    last_answer: str = ""

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        ack: dict[str, Any] = await self.sio.call(event, data, timeout=15)
        return ack

    async def close(self) -> None:
        for pc in (self.pub_pc, self.sub_pc):
            if pc is not None:
                await pc.close()
        if self.sio.connected:
            await self.sio.disconnect()


def _pc() -> RTCPeerConnection:
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


class PhoneGateway:
    """Answers SIP calls and brings each caller into their session."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.prompts = Prompts(config.voice)
        self._numbers = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._phone: Any = None
        self.calls: set[asyncio.Task[None]] = set()
        self._refused: dict[str, int] = {}
        """Call-ID of a call we placed → the SIP status that refused it."""
        self._placing: dict[str, str] = {}
        """Call-ID of a call we placed and not yet forgot → the INVITE sent (resent, cancelled)."""
        self._heard: set[str] = set()
        """Call-IDs of placed calls whose INVITE the trunk answered (any response)."""
        self._control: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen for SIP on the configured port (in pyVoIP's threads)."""
        self._loop = asyncio.get_running_loop()
        hide_numbers_in_warnings()
        voip, sip_message = load_pyvoip()
        c = self.config
        phone = voip.VoIPPhone(
            c.peer_host,
            c.peer_port,
            "imr-live",
            "",
            myIP=c.sip_host,
            callCallback=self._incoming,
            sipPort=c.sip_port,
            rtpPortLow=c.rtp_low,
            rtpPortHigh=c.rtp_high,
        )
        phone.sip.register = lambda: True  # calls come from the peer: nothing to register with
        phone.sip.recv_loop = _ending_quietly(phone.sip)
        await asyncio.to_thread(phone.start)
        # replies go back to whoever called (RFC 3261 Via), not all to --sip-peer
        phone.sip.out = Routed(phone.sip.s, sip_message)
        phone.sip.parse_message = self._on_response(phone.sip, phone.sip.parse_message)
        phone.sip.invite = self._invite
        self._phone = phone
        if c.control_port:
            self._control = await control_endpoint(self, c.control_host, c.control_port)
        # a few prompts made ahead, so the first caller does not wait for espeak-ng
        for key in ("welcome", "again", "refused"):
            await self.prompts.get(SAY[key])
        log.info("phone gateway listening for SIP on %s:%d", c.sip_host, c.sip_port)

    async def stop(self) -> None:
        if self._control is not None:
            await self._control.cleanup()
            self._control = None
        # Each call's cancel repeated until it ends: one can be lost (stop_task).
        await asyncio.gather(*(stop_task(task) for task in list(self.calls)))
        if self._phone is not None:
            await asyncio.to_thread(self._phone.stop)
            self._phone = None

    def _incoming(self, call: Any) -> None:
        """pyVoIP's thread for this call: run the call on the event loop, return at its end.

        pyVoIP forgets a call whose thread has ended (its port clean-up runs whenever
        another call ends), and would then miss the caller's BYE: so this thread lives
        as long as the call.
        """
        assert self._loop is not None
        number = next(self._numbers)
        finished = threading.Event()

        def begin() -> None:
            task = self._loop.create_task(self.handle(call, number))  # type: ignore[union-attr]
            self.calls.add(task)
            task.add_done_callback(self.calls.discard)
            task.add_done_callback(lambda _t: finished.set())

        self._loop.call_soon_threadsafe(begin)
        finished.wait()

    async def handle(self, call: Any, number: int) -> None:
        """One call from answer to hang-up."""
        name = f"call {number}"
        log.info("%s: answered", name)
        await asyncio.to_thread(call.answer)
        line = Line(call, self.prompts)

        async def by_pin() -> tuple[str, str] | None:
            found = await self._ask_pin(line)
            if found is None:
                log.info("%s: PIN refused", name)
                await line.say("refused")
            return found

        await self._run(line, name, by_pin)

    async def _run(
        self,
        line: Line,
        name: str,
        identify: Callable[[], Awaitable[tuple[str, str] | None]],
    ) -> None:
        """An answered call: who it is (``identify``: token and name), consent, the room."""
        guest: Guest | None = None
        try:
            found = await identify()
            if found is None:
                return
            token, display_name = found
            consent = await self._ask_consent(line)
            guest = await self._join(line, token, display_name, consent)
            if guest is None:
                return
            log.info("%s: in the room", name)
            await self._in_room(line, guest)
        except CallEnded:
            log.info("%s: the caller hung up", name)
        except Exception:
            log.exception("%s: failed", name)
            with contextlib.suppress(Exception):
                await line.say("trouble")
        finally:
            if guest is not None:
                with contextlib.suppress(Exception):
                    if guest.sio.connected:
                        await guest.call("leave")
                await guest.close()
            if line.mix is not None:
                await line.mix.close()
            if line.caller is not None:
                line.caller.stop()
            await line.hang_up()
            log.info("%s: ended", name)

    # -- calls a lead places -----------------------------------------------------------

    async def dial(self, order: Dial) -> str:
        """Call ``order.number`` through the trunk; the outcome once known.

        answered, no_answer, busy or failed. An answered call goes on in its own task:
        the person is asked to press 1 to join (so a voicemail or someone else who
        picks up never hears the group), then consent, then the waiting room.
        """
        if self._phone is None:
            return "failed"
        number = next(self._numbers)
        name = f"call {number} (placed)"
        log.info("%s: dialling", name)  # never the number
        try:
            call = await asyncio.to_thread(self._phone.call, order.number)
        except Exception:
            log.exception("%s: pyVoIP could not place it", name)
            return "failed"
        outcome = await self._ringing(call)
        log.info("%s: %s", name, outcome)
        if outcome == "answered":
            line = Line(call, self.prompts)

            async def by_key() -> tuple[str, str] | None:
                return await self._ask_to_join(line, order)

            self._keep(self._run(line, name, by_key))
        else:
            self._forget(call)
        return outcome

    def _invite(self, number: str, medias: Any, sendtype: Any) -> tuple[Any, str, int]:
        """pyVoIP's ``SIPClient.invite`` without its wait: send the INVITE and return.

        pyVoIP waited for the trunk's first answer in a blocking read while holding its
        SIP receive lock: a trunk that never answered stalled every call of the gateway
        (callers' INVITEs, BYEs) for good. Answers now come through the receive loop
        like any other message; ``_ringing`` resends the INVITE until one comes.
        """
        sip = self._phone.sip
        _voip, sip_message = load_pyvoip()
        branch = "z9hG4bK" + sip.gen_call_id()[0:25]
        call_id = sip.gen_call_id()
        sess_id = sip.sessID.next()
        invite = sip.gen_invite(number, str(sess_id), medias, sendtype, branch, call_id)
        self._placing[call_id] = invite
        self._send_sip(invite)
        return sip_message(invite.encode("utf8")), call_id, sess_id

    def _send_sip(self, text: str) -> None:
        if self._phone is not None:
            sip = self._phone.sip
            sip.out.sendto(text.encode("utf8"), (sip.server, sip.port))

    async def _ringing(self, call: Any) -> str:
        """Wait for the callee's answer or refusal (a final SIP response) or give up.

        Until the trunk answers at all the INVITE is sent again (RFC 3261 Timer A);
        silence for Timer B means the call failed. A call still ringing at ``ring_s``
        is cancelled (CANCEL), and hung up should the answer cross the CANCEL.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + self.config.ring_s
        interval = T1_S
        resend_at = started + interval
        while loop.time() < deadline:
            if call.state.name == "ANSWERED":
                self._placing.pop(call.call_id, None)
                self._heard.discard(call.call_id)
                return "answered"
            status = self._refused.pop(call.call_id, None)
            if status is not None:
                return REFUSALS.get(status, "failed")
            if call.state.name == "ENDED":
                return "failed"
            now = loop.time()
            if call.call_id not in self._heard:
                if now - started >= TIMER_B_S:
                    break
                invite = self._placing.get(call.call_id)
                if now >= resend_at and invite is not None:
                    self._send_sip(invite)
                    interval *= 2
                    resend_at = now + interval
            await asyncio.sleep(0.05)
        if call.call_id not in self._heard:
            log.warning("a placed call failed: the SIP trunk never answered its INVITE")
            return "failed"
        invite = self._placing.get(call.call_id)
        if invite is not None:
            self._send_sip(cancel_for(invite))
        self._keep(self._hang_up_if_answered_late(call))
        return "no_answer"

    async def _hang_up_if_answered_late(self, call: Any) -> None:
        """Hang up if the callee answered as our CANCEL was on its way (RFC 3261 9.1)."""
        for _ in range(int(120 / 0.5)):
            if call.state.name == "ANSWERED":
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(call.hangup)
                break
            if call.state.name == "ENDED" or self._refused.pop(call.call_id, None):
                break
            await asyncio.sleep(0.5)
        self._forget(call)

    def _forget(self, call: Any) -> None:
        """Drop a placed call that did not connect (pyVoIP frees its port when it goes)."""
        self._placing.pop(call.call_id, None)
        self._heard.discard(call.call_id)
        if self._phone is not None:
            self._phone.calls.pop(call.call_id, None)

    def _keep(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self.calls.add(task)
        task.add_done_callback(self.calls.discard)

    async def _ask_to_join(self, line: Line, order: Dial) -> tuple[str, str] | None:
        for _attempt in range(2):
            await line.say("called", wait=False)
            key = await line.key(self.config.digit_timeout_s)
            if key == "1":
                return order.token, order.display_name
        await line.say("not_joining")
        return None

    def _on_response(self, sip: Any, parse: Callable[[Any], None]) -> Callable[[Any], None]:
        """pyVoIP's message handler, also noting refusals of the calls we place.

        pyVoIP 1.6 ignores a 486 Busy (or 480, 603...) to its INVITE: the call would ring
        for ever and the callee's side would resend the refusal. Note the status for
        ``_ringing`` and acknowledge it (RFC 3261 17.1.1.3); pyVoIP acknowledges 404
        and 503 itself.
        """

        def parse_message(message: Any) -> None:
            try:
                if message.type.name == "RESPONSE":
                    method = message.headers.get("CSeq", {}).get("method")
                    if method == "INVITE":
                        self._heard.add(str(message.headers.get("Call-ID", "")))
                    elif method == "CANCEL":
                        return  # our CANCEL was taken: the INVITE's 487 follows (below)
            except (AttributeError, TypeError):
                pass
            try:
                is_refusal = (
                    message.type.name == "RESPONSE"
                    and message.headers.get("CSeq", {}).get("method") == "INVITE"
                    and int(message.status) >= 300
                    and int(message.status) not in (401, 407)
                )
            except (AttributeError, TypeError, ValueError):
                is_refusal = False
            if is_refusal:
                status = int(message.status)
                self._refused[str(message.headers["Call-ID"])] = status
                if status not in (404, 503):
                    sip.out.sendto(sip.gen_ack(message).encode("utf8"), (sip.server, sip.port))
                    return
            parse(message)

        return parse_message

    async def _ask_pin(self, line: Line) -> tuple[str, str] | None:
        for attempt in range(self.config.pin_tries):
            await line.say("welcome" if attempt == 0 else "again", wait=False)
            digits = ""
            while len(digits) < 10:
                key = await line.key(self.config.digit_timeout_s)
                if key is None or key == "#":
                    break
                if key.isdigit():
                    digits += key
            found = await self._resolve(digits)
            if found is not None:
                return found
        return None

    async def report(self, ref: str, order: Dial, outcome: str) -> None:
        """Tell the server how placed call ``ref`` went; a refusal is logged, not raised."""
        headers = {"Authorization": f"Bearer {self.config.gateway_key}"}
        url = f"{self.config.server}/api/phone/calls/{ref}/outcome"
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=REPORT_S)) as http,
                http.post(
                    url, json={"token": order.token, "outcome": outcome}, headers=headers
                ) as r,
            ):
                if r.status != 200:
                    log.warning("phone call %s: the server refused its outcome (%d)", ref, r.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("phone call %s: outcome not reported (%s)", ref, type(exc).__name__)

    async def _resolve(self, pin: str) -> tuple[str, str] | None:
        headers = {"Authorization": f"Bearer {self.config.gateway_key}"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{self.config.server}/api/phone/pin", json={"pin": pin}, headers=headers
            ) as resp,
        ):
            body = await resp.json()
            if resp.status == 200:
                return str(body["token"]), str(body["display_name"])
            if resp.status == 401 and body.get("error", {}).get("code") == "bad_pin":
                return None
            raise RuntimeError(f"the server refused the gateway ({resp.status})")

    async def _ask_consent(self, line: Line) -> bool | None:
        await line.say("consent", wait=False)
        while True:
            key = await line.key(self.config.digit_timeout_s)
            if key in ("1", "2", None):
                return None if key is None else key == "1"

    async def _join(
        self, line: Line, token: str, display_name: str, consent: bool | None
    ) -> Guest | None:
        sio = socketio.AsyncClient(reconnection=False)
        guest = Guest(sio)

        async def record(event: str, data: Any = None) -> None:
            guest.messages.put_nowait((event, data))
            if event == "media" and isinstance(data, dict) and data.get("type") == "offer":
                await self._answer(line, guest, data)

        sio.on("*", record)

        async def dropped() -> None:
            guest.messages.put_nowait(("disconnect", None))

        sio.on("disconnect", dropped)
        await sio.connect(
            self.config.server, auth={"token": token}, transports=["websocket"], wait_timeout=10
        )
        payload: dict[str, Any] = {"display_name": display_name, "via": "phone"}
        if consent is not None:
            payload["consent"] = consent
        ack = await guest.call("join", payload)
        if not ack.get("ok"):
            await guest.close()
            await line.say("denied")
            return None
        if ack["status"] == "waiting":
            await line.say("wait", wait=False)
            while True:
                event, _data = await line.until(guest.messages.get())
                if event == "admitted":
                    break
                if event in GONE:
                    await guest.close()
                    await line.say("denied")
                    return None
        await self._media(line, guest)
        await line.say("in", wait=False)
        return guest

    async def _media(self, line: Line, guest: Guest) -> None:
        ack = await guest.call("media", {"type": "join"})
        if not ack.get("ok"):
            raise RuntimeError(f"media join refused: {ack.get('error')}")
        line.mix = RoomMix()
        line.caller = CallerTrack()
        pc = guest.pub_pc = _pc()
        pc.addTransceiver(line.caller, direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        reply = await guest.call("media", {"type": "publish", "sdp": pc.localDescription.sdp})
        if not reply.get("ok"):
            raise RuntimeError(f"publish refused: {reply.get('error')}")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))

    async def _answer(self, line: Line, guest: Guest, offer: dict[str, Any]) -> None:
        """Answer the SFU's subscribing offer; every new audio track goes into the mix."""
        if guest.sub_pc is not None and offer["sdp"] == guest.last_offer:
            await guest.call("media", {"type": "answer", "sdp": guest.last_answer})
            return
        guest.last_offer = offer["sdp"]
        if offer.get("new_pc") and guest.sub_pc is not None:
            await guest.sub_pc.close()
            guest.sub_pc = None
        if guest.sub_pc is None:
            guest.sub_pc = _pc()

            def on_track(track: MediaStreamTrack) -> None:
                if track.kind == "audio" and line.mix is not None:
                    line.mix.add(track)

            guest.sub_pc.on("track", on_track)
        pc = guest.sub_pc
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        guest.last_answer = pc.localDescription.sdp
        await guest.call("media", {"type": "answer", "sdp": guest.last_answer})

    async def _in_room(self, line: Line, guest: Guest) -> None:
        """Keys while in the room: *6 mute, *9 hand, *1 the slide's title."""
        hand = False
        star = False
        while True:
            key = await line.until(self._next_key_or_gone(line, guest))
            if key is None:
                return
            if key == "*":
                star = True
                continue
            if not star:
                continue
            star = False
            if key == "6":
                line.muted = not line.muted
                await line.say("muted" if line.muted else "unmuted", wait=False)
            elif key == "9":
                ack = await guest.call("hand.lower" if hand else "hand.raise", {})
                if ack.get("ok"):
                    hand = not hand
                await line.say("hand_up" if hand else "hand_down", wait=False)
            elif key == "1":
                await line.say(await self._slide_title(guest), wait=False)

    async def _next_key_or_gone(self, line: Line, guest: Guest) -> str | None:
        """The next key, or None when the server let the caller go (removed, ended)."""
        key_task = asyncio.create_task(line.keys.get())
        gone = asyncio.create_task(self._gone(guest))
        done, _ = await asyncio.wait({key_task, gone}, return_when=asyncio.FIRST_COMPLETED)
        for task in (key_task, gone):
            if task not in done:
                task.cancel()
        return key_task.result() if key_task in done else None

    async def _gone(self, guest: Guest) -> None:
        while True:
            event, data = await guest.messages.get()
            if event in GONE:
                return
            if event == "event" and isinstance(data, dict) and data.get("kind") == "session.ended":
                return

    async def _slide_title(self, guest: Guest) -> str:
        ack = await guest.call("join", {"via": "phone"})
        slide = (ack.get("state") or {}).get("slide")
        content = (slide or {}).get("content") or {}
        title = content.get("title")
        return f"The slide is: {title}" if title else SAY["no_slide"]


async def control_endpoint(gateway: PhoneGateway, host: str, port: int) -> web.AppRunner:
    """The gateway's HTTP side for the server: ``POST /calls`` places a call.

    Bearer ``PHONE_GATEWAY_KEY``; body ``{call, number, token, display_name}``; answers
    ``{"outcome": ...}`` once the call is answered, refused or given up on. Meant for
    the server only: it listens on loopback unless told otherwise.
    """

    async def calls(request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        key = gateway.config.gateway_key
        if not key or not hmac.compare_digest(key.encode(), given.encode()):
            return web.json_response({"error": "only the server may place calls"}, status=401)
        try:
            body = await request.json()
            order = Dial(str(body["number"]), str(body["token"]), str(body["display_name"]))
            ref = str(body["call"])[:32]
        except (ValueError, KeyError, TypeError):
            return web.json_response(
                {"error": "give call, number, token, display_name"}, status=400
            )
        if not DIGITS.fullmatch(order.number):
            log.info("phone call %s refused: not a phone number", ref)
            return web.json_response({"error": "not a phone number"}, status=400)
        log.info("phone call %s: placing", ref)
        outcome = await gateway.dial(order)
        # Said twice: in this answer, and to the server (whichever node takes it), so
        # the outcome is logged when the node that asked restarted while it rang.
        await gateway.report(ref, order, outcome)
        return web.json_response({"outcome": outcome})

    app = web.Application()
    app.router.add_post("/calls", calls)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def serve(config: GatewayConfig, stop: Callable[[], Awaitable[None]] | None = None) -> None:
    """Run the gateway until cancelled (or until ``stop`` returns)."""
    gateway = PhoneGateway(config)
    await gateway.start()
    try:
        if stop is None:
            await asyncio.Event().wait()
        else:
            await stop()
    finally:
        await gateway.stop()


def _ending_quietly(sip: Any) -> Callable[[], None]:
    """pyVoIP's SIP receive loop, ending without a traceback when ``stop`` closed its socket.

    pyVoIP closes the socket while its loop may be between its running check and the
    next read; the loop then fails on the closed socket (EBADF) in its own thread.
    """
    loop = sip.recv_loop

    def recv_loop() -> None:
        try:
            loop()
        except OSError:
            if sip.NSD:
                raise  # a real failure while running
            log.debug("phone gateway: SIP receive loop ended with its socket")

    return recv_loop
