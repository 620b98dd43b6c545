"""A Windows Job Object that kills every process in it when its last handle closes. Standard library only.

POSIX has process groups: one signal reaches a server and everything it started. Windows has no such thing,
and `taskkill /T` finds children only while their parent is alive. A job holds the whole tree instead: the
supervisor puts the server in a job with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, every process the server starts
joins it too, and when the caller exits, or is killed, Windows closes the handle and ends them all. So on
Windows no watchdog process is needed.
"""
from __future__ import annotations

import ctypes
import sys

JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS = 9    # JobObjectExtendedLimitInformation


class IO_COUNTERS(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in ("ReadOperationCount", "WriteOperationCount",
                                                     "OtherOperationCount", "ReadTransferCount",
                                                     "WriteTransferCount", "OtherTransferCount")]


class JOBOBJECT_BASIC_LIMIT_INFORMATION(ctypes.Structure):
    _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", ctypes.c_uint32), ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", ctypes.c_uint32),
                ("Affinity", ctypes.c_size_t), ("PriorityClass", ctypes.c_uint32),
                ("SchedulingClass", ctypes.c_uint32)]


class JOBOBJECT_EXTENDED_LIMIT_INFORMATION(ctypes.Structure):
    _fields_ = [("BasicLimitInformation", JOBOBJECT_BASIC_LIMIT_INFORMATION), ("IoInfo", IO_COUNTERS),
                ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]


def kill_on_close_limits() -> JOBOBJECT_EXTENDED_LIMIT_INFORMATION:
    limits = JOBOBJECT_EXTENDED_LIMIT_INFORMATION()
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    return limits


def hold_in_job(process_handle: int, platform: str = sys.platform):
    """Put a started process (Popen._handle) in a new kill-on-close job; return the job's handle, which the
    caller keeps open for as long as the process may live. None where there are no jobs (POSIX) or on failure,
    and then the caller falls back to taskkill."""
    if platform != "win32":
        return None
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.CreateJobObjectW.restype = ctypes.c_void_p
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        return None
    limits = kill_on_close_limits()
    if not kernel32.SetInformationJobObject(ctypes.c_void_p(job), JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS,
                                            ctypes.byref(limits), ctypes.sizeof(limits)) \
            or not kernel32.AssignProcessToJobObject(ctypes.c_void_p(job), ctypes.c_void_p(int(process_handle))):
        kernel32.CloseHandle(ctypes.c_void_p(job))
        return None
    return job


def end_job(job, platform: str = sys.platform) -> None:
    """End every process in the job now (closing the handle would too, once the last one is closed)."""
    if platform != "win32" or not job:
        return
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.TerminateJobObject(ctypes.c_void_p(job), 1)
    kernel32.CloseHandle(ctypes.c_void_p(job))
