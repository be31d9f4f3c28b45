"""The tests' TOTP code is never one about to expire, so sign-in tests cannot fail by timing."""

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from tests.security import mfa

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
STEP = 1_000_000  # a 30-second step's number


class FakeClock:
    """Stands in for the `time` module the helper reads: `sleep` moves the clock on."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def code_of_step(step: int) -> str:
    return format_hotp_value(hotp_value(SECRET, step))


def test_a_code_read_in_the_last_seconds_of_its_step_is_the_next_steps(monkeypatch):
    clock = FakeClock(STEP * 30 + 28.5)
    monkeypatch.setattr(mfa, "time", clock)

    code = mfa.totp_code(SECRET)

    assert code == code_of_step(STEP + 1)
    assert STEP * 30 + 30 <= clock.now < STEP * 30 + 30 + mfa.STEP_END_MARGIN_SECONDS


def test_a_code_read_early_in_its_step_is_sent_at_once(monkeypatch):
    clock = FakeClock(STEP * 30 + 10)
    monkeypatch.setattr(mfa, "time", clock)

    assert mfa.totp_code(SECRET) == code_of_step(STEP)
    assert clock.now == STEP * 30 + 10
