"""Page reads run in at most ``READERS`` threads at once; actions keep the larger pool (issue 20)."""

from __future__ import annotations

import threading

import anyio

from verbund.dashboard.web import READERS, call, read


def test_page_reads_run_at_most_readers_at_a_time_and_actions_are_not_held_to_it() -> None:
    lock = threading.Lock()
    running, most = [0], [0]
    release = threading.Event()

    def page_read(number: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(timeout=60)
        with lock:
            running[0] -= 1
        return number

    everyone = threading.Barrier(READERS + 2, timeout=60)  # more actions than readers at once, or it breaks

    def action(number: int) -> int:
        everyone.wait()
        return number

    async def main() -> tuple[list[int], list[int]]:
        reads: list[int] = []
        actions: list[int] = []

        async def one_read(number: int) -> None:
            reads.append(await read(page_read, number))

        async def one_action(number: int) -> None:
            actions.append(await call(action, number))

        async with anyio.create_task_group() as group:
            for number in range(3 * READERS):
                group.start_soon(one_read, number)
            async with anyio.create_task_group() as acting:  # all actions meet while the reads are held
                for number in range(READERS + 2):
                    acting.start_soon(one_action, number)
            release.set()
        return reads, actions

    reads, actions = anyio.run(main)
    assert sorted(reads) == list(range(3 * READERS)) and sorted(actions) == list(range(READERS + 2))
    assert most[0] <= READERS
