from datetime import UTC, datetime, timedelta, timezone

from retrieval.clock import SYSTEM_CLOCK, Clock


def test_times_are_recorded_in_utc_to_the_second():
    paris = timezone(timedelta(hours=1))
    clock = Clock(wall=lambda: datetime(2026, 3, 4, 11, 20, 30, 999, tzinfo=paris).astimezone(UTC))
    assert clock.iso() == "2026-03-04T10:20:30+00:00"
    assert clock.today().isoformat() == "2026-03-04"


def test_the_system_clock_reads_the_current_utc_time():
    before = datetime.now(UTC).replace(microsecond=0)
    recorded = datetime.fromisoformat(SYSTEM_CLOCK.iso())
    assert recorded.utcoffset() == timedelta(0)
    assert before <= recorded <= datetime.now(UTC)
    assert SYSTEM_CLOCK.monotonic() <= SYSTEM_CLOCK.monotonic()
