"""The ports the kit hands its servers: free now, and never handed to two kit processes at once."""
import os
import subprocess
import sys
import time
from pathlib import Path

from graders.supervisor.ports import HELD, claim, free_port, notes_folder
from tests.kit_copy import REPO


def test_the_notes_are_per_user_where_the_temporary_folder_is_shared():
    assert notes_folder("linux", "/tmp", user="1000") == Path("/tmp/wsfs-ports-1000")
    assert notes_folder("darwin", "/var/folders/x/T", user="501") == Path("/var/folders/x/T/wsfs-ports-501")
    assert notes_folder("win32", r"C:\Users\ada\AppData\Local\Temp") == \
        Path(r"C:\Users\ada\AppData\Local\Temp") / "wsfs-ports"


def test_a_port_handed_out_is_not_handed_out_again_until_its_note_is_old(tmp_path):
    assert claim(tmp_path, 40001, time.time())
    assert not claim(tmp_path, 40001, time.time())
    assert claim(tmp_path, 40003, time.time())
    assert claim(tmp_path, 40001, time.time() + HELD + 1)          # an old note: the port is free to give again
    assert not claim(tmp_path, 40001, time.time() + HELD + 2)      # ... and now noted afresh


def test_notes_from_hours_ago_are_removed_and_recent_ones_kept(tmp_path):
    assert claim(tmp_path, 40001, time.time()) and claim(tmp_path, 40003, time.time())
    old = time.time() - 100 * HELD - 60
    os.utime(tmp_path / "40001", (old, old))
    free_port(folder=tmp_path, pick=lambda host: 40005)
    assert sorted(note.name for note in tmp_path.iterdir()) == ["40003", "40005"]


def test_when_the_os_picks_a_port_another_run_was_given_the_next_pick_is_taken(tmp_path):
    picks = iter([40001, 40001, 40005])
    pick = lambda host: next(picks)                                          # noqa: E731
    assert free_port(folder=tmp_path, pick=pick) == 40001
    assert free_port(folder=tmp_path, pick=pick) == 40005


def test_without_a_folder_to_write_in_the_os_pick_is_used(tmp_path):
    (tmp_path / "a-file").write_text("")
    assert free_port(folder=tmp_path / "a-file" / "ports", pick=lambda host: 40007) == 40007


HAND_OUT = """
import sys
from pathlib import Path
from graders.supervisor.ports import free_port
print(*(free_port(folder=Path(sys.argv[1])) for _ in range(int(sys.argv[2]))))
"""


def test_two_processes_asking_at_once_are_never_given_the_same_port(tmp_path):
    """The OS picks at random among about 14,000 ports: 2 x 400 picks share about 10 ports without the notes
    (the harm: one grader talks to the other's server). The count is large enough that this fails without them."""
    count = 400
    runs = [subprocess.Popen([sys.executable, "-c", HAND_OUT, str(tmp_path), str(count)], cwd=REPO,
                             stdout=subprocess.PIPE, text=True) for _ in range(2)]
    given = [set(map(int, run.communicate(timeout=60)[0].split())) for run in runs]
    assert all(len(ports) == count for ports in given), "a process was given the same port twice"
    assert not given[0] & given[1]
