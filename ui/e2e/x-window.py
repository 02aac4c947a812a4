#!/usr/bin/python3
"""The app's X window under Xvfb, which has no window manager to click a close button with.

  x-window.py close PID   asks PID's window to close, as a window manager's close button does
                          (a WM_DELETE_WINDOW client message); fails when PID has none
  x-window.py state PID   prints `shown` when PID has a mapped top-level window, else `hidden`

Run with Debian's python3 and its python3-xlib (scripts/app-deps.sh installs it).
"""
import sys

from Xlib import X, display, protocol


def windows(d, pid):
    net_wm_pid = d.intern_atom("_NET_WM_PID")
    for w in d.screen().root.query_tree().children:
        try:
            owner = w.get_full_property(net_wm_pid, X.AnyPropertyType)
        except Exception:
            continue
        if owner is not None and owner.value[0] == pid:
            yield w


def main():
    command, pid = sys.argv[1], int(sys.argv[2])
    d = display.Display()
    found = list(windows(d, pid))
    shown = [w for w in found if w.get_attributes().map_state == X.IsViewable]
    if command == "state":
        print("shown" if shown else "hidden")
        return 0
    if command != "close":
        print(f"unknown command {command}", file=sys.stderr)
        return 2
    protocols, delete = d.intern_atom("WM_PROTOCOLS"), d.intern_atom("WM_DELETE_WINDOW")
    targets = [w for w in shown if delete in (w.get_wm_protocols() or [])]
    if not targets:
        print(f"process {pid} has no window to close", file=sys.stderr)
        return 1
    for w in targets:
        message = protocol.event.ClientMessage(window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
        w.send_event(message, event_mask=X.NoEventMask)
    d.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
