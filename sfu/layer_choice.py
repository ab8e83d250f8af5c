"""Which simulcast layer each subscriber leg gets, and when a link drops to audio only.

aiortc gives no transport-wide congestion control (TWCC), so a leg's
bandwidth is judged from what its receiver reports: the REMB estimate (the
SFU stamps abs-send-time on every video packet) and the loss in its receiver
reports. A delay-based REMB estimate cannot rise far above what the leg
already receives, so a calm leg is moved up one layer at a time to probe;
a probe that brings loss or a falling estimate is undone at once and the
next step into that layer waits twice as long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class LegReport:
    """What the SFU knows about one leg at one moment."""

    estimate_bps: int | None
    """The subscriber's REMB estimate for this leg (its share of the link)."""
    loss: float
    """Fraction of this leg's packets lost (0..1), from the subscriber's receiver reports."""
    layer_bps: tuple[float, ...]
    """Bitrate each layer arrives at from the publisher (0: not sending)."""
    layer_heights: tuple[int | None, ...]
    """Each layer's picture height, from its keyframes (None: not seen yet)."""
    tile_height: int | None
    """How tall the subscriber shows this video, in device pixels (None: not reported)."""
    sound_loss: float = 0.0
    """The worst loss on the sound this subscriber receives (0..1): video that crowds the
    sound out on a shared link is too much video, whatever its own loss says."""
    sent_bps: float | None = None
    """What the SFU sent this leg over the last second (None: not measured yet)."""
    sound_reported: bool = True
    """Whether `sound_loss` is a figure at all (False: no report on the sound covers only
    the time since the last step down yet, and 0 stands for "not known")."""
    loss_before: float | None = None
    """The leg's loss figure before `loss` (None: `loss` is its first): a burst in one
    figure on a link whose estimate carries the layer is no fall (see `LayerChooser.choose`)."""
    can_pad: bool = False
    """Whether the leg can send probe padding (`DownTrack.pad`): a step up is tried first."""
    loss_span: tuple[float, float] | None = None
    """When the interval `loss` covers began and ended (monotonic; None: not known)."""


HEAVY_LOSS = 0.1
"""Loss on a leg above which it is congested when its estimate is short of its layer too."""
SEVERE_LOSS = 0.2
"""Loss on a leg above which it is congested whatever its estimate: random loss on a fast
link (10 %, a once-a-second figure swinging a few per cent) stays under it, a layer the
link cannot carry loses more (250 kbit/s under the 800k layer: 70-80 %)."""
FALL_FILL_SHARE = 0.7
"""A figure of severe loss just after a link fell also counts the packets that arrived
before the bottleneck's queue filled: what it says was delivered is taken at this share.
Chromium, 2 Mbit/s -> 250 kbit/s, 800k sent: the first figure said 57 % lost (the link
delivers 31 %), so 344 kbit/s "arrived", the leg stepped to the 300k layer and reached
the 100k one a report later (2.2-2.3 s down in 3 of 6 runs; the issue asks 2 s)."""
ACTIVE_BPS = 1000
"""A layer arriving slower than this is taken as switched off by the publisher."""
CALM_LOSS = 0.02
PROBE_LOSS = 0.04
"""Loss on a leg just moved up above which the step up failed."""
PROBE_FIT = 0.9
"""A falling estimate under this share of a new layer's rate: the step up failed."""
SOUND_HURT_LOSS = 0.05
"""Loss on the sound a subscriber gets above which its video is taken to crowd the sound out."""
SWITCH_SETTLE_S = 1.0
"""After a leg moves down it still sends the layer it left until the new layer's keyframe,
and the link drains the queue that layer built: loss reports covering the time before
the step down plus this judge the layer left, not the one now sent."""
SOUND_REPORT_S = 5.0
"""How often Chromium reports on the sound it receives: a verdict from the sound's loss
on a step up can come this long after the step's own probe window."""
RANDOM_LOSS_WEIGHT = 0.1
"""The weight of each report (about one a second) in a leg's random-loss floor."""
SOUND_REPORT_PACKETS = 250
"""How many sound packets one of Chromium's sound reports covers (50 a second, every 5 s)."""
TRIAL_LEAD_S = 2.0
"""A padding trial of the next layer starts this long before the calm spell a step up
waits for is over, so that a trial that fits costs the way back to the top no time."""
TRIAL_MIN_S = 1.5
"""A trial's verdict is a loss figure that began after the trial did and ended at least
this long after it. Loss comes only once the padding has filled the bottleneck's queue:
the test bed's 200 ms queue at 600 kbit/s took half a second, and a figure ending 1 s
into the trial passed the top layer there (its step up then lost 90 %)."""
TRIAL_MAX_S = 4.0
"""A trial with no figure to judge it by after this long ends without a verdict (the
step up is then tried on the layer itself, as without padding)."""
TRIAL_ESTIMATE_HOLD_S = 15.0
"""After a trial that did not fit, the subscriber's estimate is taken as at least what it
was when the trial began for this long (`DownTrack.hold_estimate`)."""
TRIAL_MARGIN = 1.1
"""The media and padding of a trial add up to this share of the next layer's rate."""
OVERUSE_REPORTS = 3
"""Reports in a row of an estimate under ``PROBE_FIT`` of the layer's rate, not climbing,
with loss over ``CALM_LOSS``, after which the leg moves down (any time, not only after a
step up)."""


def random_swing(loss: float, packets: int = SOUND_REPORT_PACKETS) -> float:
    """How far one report's loss figure over `packets` swings (two standard deviations)
    around a random loss of `loss`."""
    return 2 * math.sqrt(loss * (1 - loss) / packets) if 0 < loss < 1 else 0.0


def tile_cap(layer_heights: tuple[int | None, ...], tile_height: int | None) -> int:
    """The highest layer worth sending to a tile: the smallest one at least as tall as it."""
    top = len(layer_heights) - 1
    if tile_height is None:
        return top
    # Before a layer's first keyframe its height is unknown: guess it from the
    # layers above (browsers halve each step), so a thumbnail never starts on top.
    known_top = next(
        (h << (top - i) for i, h in reversed(list(enumerate(layer_heights))) if h), 720
    )
    for layer, height in enumerate(layer_heights):
        if (height or known_top >> (top - layer)) >= tile_height:
            return layer
    return top


class Probe(NamedTuple):
    """A step up still on trial."""

    left: int
    """The layer the leg stepped up from (where a failed step goes back to)."""
    layer: int
    """The layer it stepped up into."""
    at: float
    """When (monotonic seconds)."""


class Trial(NamedTuple):
    """A step up tried with padding first: the leg stays on its layer, and the padding
    brings what reaches the subscriber up to the next layer's rate."""

    layer: int
    """The layer a fitting trial lets the leg step into."""
    at: float
    """When it began (monotonic seconds)."""
    bps: float
    """The padding's rate."""
    estimate: int | None
    """The subscriber's estimate when it began."""


class LayerChooser:
    """One leg's layer: down at once when the link says so, up one step after a calm spell."""

    def __init__(self, *, up_hold_s: float, max_hold_s: float) -> None:
        self._up_hold_s = up_hold_s
        self._max_hold_s = max_hold_s
        self._holds: dict[int, float] = {}
        """The calm spell a step up into each layer waits for (``up_hold_s`` unless a step
        into that layer failed lately): a link that could not carry the middle layer
        does not make the step from it to the top, once it carries it, wait longer too
        (2 Mbit/s -> 250 kbit/s -> back: the top came 7 s after the middle, 11-15 s in all)."""
        self._calm_since: float | None = None
        self._probe: Probe | None = None
        self._probe_window_s = 2 * up_hold_s + SOUND_REPORT_S
        """How long congestion on a new layer is still the step up's failure (back to the
        layer it left, the next wait doubled): its own window plus a report on the sound
        (Chromium at 600 kbit/s heard of a failed step up 6-8 s late and took the leg to
        the layer 0.9 of its trailing estimate fits, 160x90, not back to 320x180)."""
        self._last_estimate: int | None = None
        self._overused = 0
        """Reports in a row with the estimate under the layer's rate and not climbing."""
        self._no_step_before = 0.0
        """No step up before this (monotonic): video just came back after sound only."""
        self.sound_random_loss = 0.0
        """The loss the sound beside this leg shows while the layer fits (the estimate
        carries it, no step on trial) and the video arrives whole: the link's own random
        loss. Chromium repairs the video's loss by NACK before it counts it, so on a 10 %
        link its video reports say 0-3 %; the sound is not repaired and says 10 %, which
        failed each step up as "the video crowds the sound out". A full queue drops the
        video too (150 kbit/s: 22 % of the low layer beside 12 % of the sound), so
        nothing is learnt from it."""
        self._sound_samples = 0
        self.trial: Trial | None = None
        """The padding trial running, if any (its padding is sent while this is set)."""
        self._passed: int | None = None
        """The layer a trial found fitting in this calm spell (stepped into as it ends)."""
        self.trial_failed = False
        """Whether the last `choose` ended a trial that did not fit: the padding overfilled
        the link, whose queue now drains; no figure over that time is the layer's."""
        self.congested = False
        """Whether the last `choose` found the link congested (a step down it chose is
        then for the link, not for the tile or a layer switched off)."""

    def choose(self, current: int, report: LegReport, now: float) -> int:
        """The layer the leg should forward from now on."""
        self.congested = False
        self.trial_failed = False
        active = [layer for layer, bps in enumerate(report.layer_bps) if bps > ACTIVE_BPS]
        cap = tile_cap(report.layer_heights, report.tile_height)
        if not active:
            return min(current, cap)
        allowed = [layer for layer in active if layer <= cap] or [active[0]]
        rate = report.layer_bps[current] if current < len(report.layer_bps) else 0.0
        estimate, last = report.estimate_bps, self._last_estimate
        self._last_estimate = estimate
        # A delay-based estimate trails a step up for a while (it ramps from
        # what the leg received): only a falling estimate below the rate is overuse.
        falling = estimate is not None and last is not None and estimate < 0.97 * last
        # On a busy machine the delay-based estimate also dips on CPU stalls:
        # only a deep fall counts; loss is the firm signal.
        short = estimate is not None and rate > 0 and estimate < PROBE_FIT * rate
        probing = self._probe is not None and now - self._probe.at < 2 * self._up_hold_s
        if (
            report.sound_reported
            and report.loss <= PROBE_LOSS
            and not (short or falling or probing)
        ):
            self._sound_samples += 1
            self.sound_random_loss = _folded(
                self.sound_random_loss, report.sound_loss, self._sound_samples
            )
        # The sound's own random loss, and how far a report's figure of it swings.
        sound_allowed = self.sound_random_loss + random_swing(self.sound_random_loss)
        # Loss is the firm signal, but random loss on a fast link (10 %, the estimate
        # high) is not congestion: stepping down does not lessen it, and each step up
        # would fail on it (Chromium at 2 Mbit/s with 10 % loss sat at 160x90).
        # Severe loss beside an estimate that carries the layer is a link that fell only
        # when the figure before says so too: one burst (a busy machine, 60 % of some 10
        # packets, the next figure 10 % again) cost a 10 % link its top layer for 5 s,
        # and a link that fell loses as much in the next figure, a tenth of a second on.
        # Before the first estimate only severe loss counts: a 10 % link's first figure
        # (14 %, the estimate not in yet) took Chromium off the top layer for 5 s, and a
        # link that does not carry a layer loses far more (300 kbit/s under the top
        # layer: 60-70 %), or says so by its estimate a second later.
        before = report.loss if report.loss_before is None else report.loss_before
        heavy = (
            report.loss > SEVERE_LOSS and (estimate is None or short or before > SEVERE_LOSS)
        ) or (report.loss > HEAVY_LOSS and short)
        congested = heavy or (
            falling and estimate is not None and rate > 0 and estimate < 0.5 * rate
        )
        # A leg whose estimate stays under its layer's rate without climbing (a
        # trailing estimate climbs some 8 % a second) while packets are lost is on a
        # link that does not carry the layer: once the probe window is over nothing
        # else would say so while a shaper queues and drops a few per cent.
        # The estimate alone is no verdict: Chromium's sits under what it already
        # receives on a calm loopback link. With some loss beside it, it is.
        rising = estimate is not None and last is not None and estimate > 1.02 * last
        lossy = report.loss > CALM_LOSS
        self._overused = self._overused + 1 if short and lossy and not rising else 0
        # Audio first: a layer whose estimate falls short while the sound beside it
        # loses packets crowds the sound out (NACK repairs the video's own loss, so its
        # reports can look calm). Random loss on a fast link leaves the estimate high.
        sound_hurt = report.sound_loss > sound_allowed + SOUND_HURT_LOSS and current > allowed[0]
        if not self._sound_samples and rising:
            # Nothing learnt yet of the sound's own loss (the first step up can come
            # before a report on the sound covers a layer that fits): its loss beside an
            # estimate still climbing is the link's, since a full queue stops a
            # delay-based estimate climbing (Chromium on a 10 % link went back for 5 s).
            sound_hurt = False
        congested = congested or self._overused >= OVERUSE_REPORTS or (sound_hurt and short)
        # A step up is held to a stricter test while it is new: some loss, or an
        # estimate sinking under the new layer's rate, means the link does not carry
        # it (a shaper queues and drops only a few per cent; CPU stalls are brief).
        if probing and not congested:
            congested = report.loss > PROBE_LOSS or sound_hurt or (falling and short and lossy)
        trial, self.trial = self.trial, None
        if trial is not None:
            if congested or report.loss > PROBE_LOSS:
                # The padding did not fit (or the link fell meanwhile): the leg keeps its
                # layer, whose picture never stopped, and the next step into that layer
                # waits twice as long. A link that fell says so again once the queue
                # the padding filled has drained.
                self._failed(trial.layer)
                self.trial_failed = True
                self._calm_since = None
                self._overused = 0
                return current
            span = report.loss_span
            if span is not None and span[0] >= trial.at and span[1] >= trial.at + TRIAL_MIN_S:
                self._passed = trial.layer  # it fitted: the step comes when the calm spell is over
            elif now - trial.at >= TRIAL_MAX_S:
                self._passed = trial.layer  # no verdict: the step itself is the probe, as before
            else:
                self.trial = trial  # runs on
        if congested or current not in allowed or current > cap:
            self.congested = congested
            self.trial = None
            self._calm_since = None
            self._overused = 0
            left = None
            if self._probe is not None and now - self._probe.at < self._probe_window_s:
                self._failed(self._probe.layer)
                left = self._probe.left
            self._probe = None
            budget = report.estimate_bps
            if report.loss > HEAVY_LOSS and report.sent_bps:
                # A link that loses this much carries about what arrived of what was
                # sent; a delay-based estimate comes down to it only over seconds
                # (Chromium 0.7 s after a drop from 2 Mbit/s to 250 kbit/s: 352 kbit/s
                # with 80 % lost, so the leg stepped to 300k first and reached the
                # 100k layer 2 s later). Random loss on a fast link leaves this high.
                delivered = report.sent_bps * (1 - report.loss)
                if report.loss > SEVERE_LOSS:
                    delivered *= FALL_FILL_SHARE
                budget = int(delivered) if budget is None else min(budget, int(delivered))
            if left is not None and left < current and left in allowed:
                # The layer the probe left was calm for a whole hold: back there, not
                # down to whatever 0.9 of a trailing estimate fits (Chromium's sits near
                # what it receives, under the layer it carried calmly). Should the link
                # have fallen meanwhile, the next report says so.
                return left
            fitting = [
                layer
                for layer in allowed
                if layer < current or current not in allowed
                if budget is None or report.layer_bps[layer] <= 0.9 * budget
            ]
            return max(fitting) if fitting else allowed[0]
        higher = [layer for layer in allowed if layer > current]
        if not higher or lossy:
            self.trial = None
            self._calm_since = None
            return current
        if self._probe is not None and now - self._probe.at >= self._probe_window_s:
            self._holds.pop(self._probe.layer, None)  # the last step up held: be quick again
            self._probe = None
        if self._calm_since is None:
            self._calm_since = now
            self._passed = None
            return current
        step = min(higher)  # one at a time: aiortc's REMB estimate can overshoot the link
        if self.trial is not None and self.trial.layer != step:
            self.trial = None  # the tile or the layers changed under it
        wait = max(self._calm_since + self._holds.get(step, self._up_hold_s), self._no_step_before)
        if report.can_pad and self._passed != step:
            # Padding first, up to the next layer's rate: a link that cannot carry it
            # drops some packets of the layer the leg has, which NACKs repair, where a
            # step into the layer itself cost a frozen picture until the lower layer's
            # next keyframe (one freeze a failed step, 2 a minute at 600 kbit/s).
            if self.trial is None and now >= wait - TRIAL_LEAD_S:
                bps = TRIAL_MARGIN * report.layer_bps[step] - report.layer_bps[current]
                self.trial = Trial(step, now, max(bps, 0.0), report.estimate_bps)
            return current
        if now < wait:
            return current  # calm still counts: the step comes as the wait ends
        self._calm_since = None
        self._passed = None
        self._probe = Probe(current, step, now)
        return step

    def _failed(self, layer: int) -> None:
        """A step up into ``layer`` failed: the next one into it waits twice as long."""
        held = self._holds.get(layer, self._up_hold_s)
        self._holds[layer] = min(held * 2, self._max_hold_s)

    def hold_steps_up(self, until: float) -> None:
        """Video came back after sound only, on the lowest layer: no step up before
        monotonic `until`, the end of the floor's trial of it (`AudioFloor.trial_ends`).

        The link proved too short for the lowest layer beside the sound a while ago.
        A step up within the trial that fails (Chromium at 150 kbit/s: the middle layer
        3 s after video came back, 70 % lost) put the link on sound only again, and
        the floor, blaming the lowest layer, doubled its next wait.
        """
        self._no_step_before = until

    def back_off(self, now: float) -> None:
        """The leg was moved to its lowest layer from outside (the whole link is short):
        a step up in progress failed, and calm starts counting again."""
        self._calm_since = None
        self._overused = 0
        if self._probe is not None and now - self._probe.at < self._probe_window_s:
            self._failed(self._probe.layer)
        self._probe = None
        self.trial = None


def _folded(average: float, sample: float, samples: int) -> float:
    """`average` with its `samples`-th figure: a plain mean of the first ones (known
    within seconds), then each new one weighing `RANDOM_LOSS_WEIGHT`."""
    weight = max(RANDOM_LOSS_WEIGHT, 1 / samples)
    return average + weight * (min(sample, SEVERE_LOSS) - average)


LIMITING_SHARE = 0.8
"""An estimate under this share of what a link is sent is the link's limit, not the sender's."""
SOUND_CROWDED_LOSS = 0.15
"""Loss on the sound, with the lowest video flowing beside it, above which what the link
delivers is judged from what it lost, not from the receiver's estimate."""
LOWEST_BROKEN_LOSS = 0.15
"""Loss on the lowest video layers, on average over several reports, above which that
video is broken pictures; with the sound hurt beside it, the two do not fit the link."""
TREND_WEIGHT = 0.1
"""The weight of each new (once a second) loss figure in a link's loss trend: a report's
figure covers a second or so, 10 packets of the lowest layer, and swings 0-30 % on its own."""
QUEUE_LOSS_RATIO = 2.0
"""A shaper's full queue drops the bursts of a video frame's packets far more often than
the evenly spaced sound packets (measured at 150 kbit/s: 19 % against 6 %); random loss
hits both alike. Video loss over this many times the sound's is taken as a full queue."""
LEAST_TRIED_BPS = 20_000
"""Streams that add up to less than this (a still picture beside silent Opus: 5 kbit/s)
never tried the link at a rate the floor is about: the loss they see is the link's own
(a lossy radio), not a short link, and the estimate over them only follows what arrives."""
SOUND_BPS = 50_000
"""What a link keeps for the sound beside any video at least: Opus at about 32 kbit/s
plus the headers of its 50 packets a second (more when the sound sent is more: aiortc
publishers send Opus at 96 kbit/s)."""


@dataclass(frozen=True)
class VideoLeg:
    """One video leg, as the audio-only rule sees it."""

    estimate_bps: int
    """The subscriber's REMB estimate on this leg (Chrome: the same value on every leg)."""
    sent_bps: float
    """What the SFU sent the leg over the last second."""
    lowest_bps: float
    """The rate of the lowest layer the leg could be given (its only one without simulcast)."""


def weak_link_estimate(
    legs: list[VideoLeg],
    *,
    sound_sent_bps: float,
    floor_bps: int,
    video_loss: float,
    sound_loss: float,
    trend: tuple[float, float] = (0.0, 0.0),
    sound_random: float = 0.0,
) -> int | None:
    """The whole link's estimate if it cannot carry even the lowest video beside the sound.

    The whole link is the REMB estimate (it covers only the video, the packets
    the SFU stamps with abs-send-time) plus the sound that arrives beside it.
    Video stays on only while that covers the lowest layer of every video leg
    plus the sound the SFU sends (`sound_sent_bps`, at least `SOUND_BPS`), and at
    least `floor_bps`: a link that carries just the sound would otherwise stall
    each time the lowest layer is put back, and lose sound beside it.

    A receiver's delay-based estimate follows what arrives (at most about 1.5
    times it, plus 10 kbit/s): a publisher with little to send (a still picture)
    gets a small estimate on a fast link, and heavy random loss can pull it to
    the minimum without the link being slow. So a small estimate counts only
    when it is below what the legs are sent (the link does not carry it) and
    the SFU either sent the lowest layers (the link was tried at that rate) or
    the subscriber's sound suffers (the video crowds it out). Chrome sends one
    transport-wide REMB (the same value on every leg), aiortc one per stream:
    distinct values add up.

    Heavy sound loss (over `SOUND_CROWDED_LOSS`) while the lowest layers flow is
    judged by what the link delivers instead: the estimate can overshoot.

    The same holds over time (`trend`: the video and sound loss averaged over
    the last reports, `LossTrend`): a shaper with a short queue drops without
    building the delay a delay-based estimate sees, and aiortc's estimate then
    sits at 1.5 times what arrives for good (measured at 150 kbit/s: 146
    kbit/s, the low layer losing 20 % and the sound 8 % for a minute, never one
    report bad enough). Loss over `LOWEST_BROKEN_LOSS` on the lowest layers with
    the sound hurt beside it, the video losing `QUEUE_LOSS_RATIO` times what the
    sound does (a full queue, not random loss: sound only would not help that),
    is judged by what the link delivers.

    None of it holds for streams too small to try the link (`LEAST_TRIED_BPS`):
    random loss on a fast link beside a still picture and silence looks like
    what a short link delivers, yet sound only would not help it.

    And a link that loses nothing carries what it is sent, whatever the
    estimate says: after a sudden drop the estimate collapses and climbs back
    only some 8 % a second, while the lowest layer already flows whole.

    The sound's loss counts over `sound_random`, the loss the link's sound shows
    while the video fits (`AudioFloor.sound_random`), and its swing: 10 % random
    loss is no sign of video crowding the sound out (Chromium on a 10 % link
    back from 250 kbit/s to 2 Mbit/s was put on sound only again and again).
    """
    allowance = sound_random + random_swing(sound_random)
    hurt = max(0.0, sound_loss - allowance)  # what the sound loses over its own random loss
    if not legs or (video_loss <= CALM_LOSS and hurt <= SOUND_HURT_LOSS):
        return None
    sent = sum(leg.sent_bps for leg in legs)
    if sent + sound_sent_bps < LEAST_TRIED_BPS:
        return None
    link = sum({leg.estimate_bps for leg in legs})
    lowest = sum(leg.lowest_bps for leg in legs)
    whole = int(link + sound_sent_bps * (1 - sound_loss))  # the sound that arrives
    needed = max(lowest + max(SOUND_BPS, sound_sent_bps), floor_bps)
    if hurt > SOUND_CROWDED_LOSS and sent >= LIMITING_SHARE * lowest:
        # aiortc's delay-based estimate can overshoot a shaped link for good while a
        # third of the sound is lost: what the link delivers is what it was sent less
        # what it lost (a shaper drops from every stream alike).
        delivered = int((sent + sound_sent_bps) * (1 - sound_loss))
        if delivered < needed:
            return delivered
    video_trend, sound_trend = trend
    if (
        video_trend > LOWEST_BROKEN_LOSS
        and sound_trend > SOUND_HURT_LOSS
        and video_trend > QUEUE_LOSS_RATIO * sound_trend
        and sent >= LIMITING_SHARE * lowest
    ):
        delivered = int(sent * (1 - video_trend) + sound_sent_bps * (1 - sound_trend))
        if delivered < needed:
            return delivered
    if whole >= needed:
        return None
    if hurt > SOUND_HURT_LOSS and sent >= SOUND_BPS:
        # The video crowds the sound out, whatever the estimate says. (Video sending
        # less than the sound cannot: that loss came from elsewhere, e.g. the
        # publisher's own link, forwarded as gaps.)
        return whole
    if link >= LIMITING_SHARE * sent:
        return None
    if sent < LIMITING_SHARE * lowest and hurt <= SOUND_HURT_LOSS:
        return None
    return whole


class LossTrend:
    """A link's video and sound loss, averaged over its last reports (one figure a second)."""

    def __init__(self) -> None:
        self.video = 0.0
        self.sound = 0.0

    def update(self, video_loss: float, sound_loss: float) -> tuple[float, float]:
        """Add this second's figures; the averages (video, sound)."""
        self.video += TREND_WEIGHT * (video_loss - self.video)
        self.sound += TREND_WEIGHT * (sound_loss - self.sound)
        return self.figures

    @property
    def figures(self) -> tuple[float, float]:
        """The averages (video, sound)."""
        return self.video, self.sound

    def reset(self) -> None:
        """The link is sent a lower layer: its loss starts over."""
        self.video = self.sound = 0.0


class AudioFloor:
    """A subscriber's link judged too weak for any video: audio only, back after a calm spell.

    A weak verdict (in `confirm` updates in a row: one keyframe burst over a
    slow estimate is no verdict) gives the link audio only; video is tried
    again (on the lowest layers) after `hold_s`. A try that ends in audio only
    again before it is proven failed: the next wait doubles, up to `max_hold_s`,
    so a link that carries only the sound is not told "video is back" every few
    seconds. A try is proven when video held for `proven_s` or twice the wait,
    whichever is longer; that resets the wait. (A link just short of the lowest
    layer beside the sound carried a retry for 30 s before the verdict, and with
    the wait reset after 16 s it paused and came back every 40 s for good.)

    Right after a leg moved down a layer (`stepped_down`) the link still drains
    the queue the higher layer built, the receiver's estimate has collapsed and
    its loss reports still cover the time before: for `drain_s` a verdict that
    still leaves the link at least `floor_bps` waits (Chromium at 250 kbit/s was
    put on sound only two seconds after a switch to a layer the link carries).
    A link under the floor gets sound only as quickly as ever.
    """

    def __init__(
        self,
        *,
        hold_s: float,
        max_hold_s: float,
        proven_s: float = 0.0,
        confirm: int = 2,
        drain_s: float = 0.0,
        floor_bps: int = 0,
    ) -> None:
        self.audio_only = False
        self._confirm = confirm
        self._drain_s = drain_s
        self._floor_bps = floor_bps
        self._draining_until = 0.0
        self.stepped_at = 0.0
        """When the last step down of a video leg took effect (monotonic, `SWITCH_SETTLE_S`
        after it): loss figures covering time before it judge the layer left."""
        self._below = 0
        self._base_hold_s = hold_s
        self._hold_s = hold_s
        self._max_hold_s = max_hold_s
        self._proven_s = proven_s
        self._since = 0.0
        self._retried_at: float | None = None
        self.sound_random = 0.0
        """The loss of the sound this link carries while its video fits (see `learn_sound`)."""
        self._sound_samples = 0
        self.trend = LossTrend()
        """The link's loss over its last reports while video flowed, since the last step
        down. Kept over a pause for sound only: video comes back on the layer it left, and a
        link that still drops it is judged again within seconds, not after a new average."""

    def update(self, weak_bps: int | None, now: float) -> bool:
        """Take the link's verdict (`weak_link_estimate`) at monotonic `now`; True when
        `audio_only` changed."""
        if not self.audio_only:
            if weak_bps is None:
                self._below = 0
                if self._retried_at is not None and now - self._retried_at > self._proof_s:
                    self._retried_at = None
                    self._hold_s = self._base_hold_s  # video held: be quick next time
                return False
            if weak_bps >= self._floor_bps and now < self._draining_until:
                return False  # the step down has not shown its effect yet
            self._below += 1
            if self._below < self._confirm:
                return False
            self._below = 0
            if self._retried_at is not None and now - self._retried_at <= self._proof_s:
                self._hold_s = min(self._hold_s * 2, self._max_hold_s)
            self.audio_only, self._since = True, now
            return True
        if now - self._since < self._hold_s:
            return False
        self.audio_only, self._retried_at = False, now
        return True

    @property
    def _proof_s(self) -> float:
        """How long video tried again must hold before the try counts as proven."""
        return max(self._proven_s, 2 * self._hold_s)

    def learn_sound(self, sound_loss: float) -> None:
        """A figure of the sound's loss while video flows and the link is judged to carry it
        (no weak verdict, the video losing no more than `PROBE_LOSS`): what it loses then is
        the link's own random loss, not video crowding it out."""
        self._sound_samples += 1
        self.sound_random = _folded(self.sound_random, sound_loss, self._sound_samples)

    @property
    def trial_ends(self) -> float | None:
        """When video that came back after sound only ends its trial (monotonic; None: it
        is not on trial): twice the first wait after the retry, while no leg steps up from
        its lowest layer. Sound only again counts as the try failing for longer, until
        the try is proven (`_proof_s`)."""
        if self.audio_only or self._retried_at is None:
            return None
        return self._retried_at + 2 * self._base_hold_s

    def stepped_down(self, now: float) -> None:
        """A video leg moved down a layer at monotonic `now`: give the link `drain_s`."""
        self._draining_until, self.stepped_at = now + self._drain_s, now + SWITCH_SETTLE_S
        self._below = 0
        self.trend.reset()
