# Checks, inside 3D Slicer, that igtbridge's output arrives. Paste into Slicer's
# Python console (or exec it) once the connector is started, for example after
# scripts/slicer_setup.py:
#
#   exec(open(r'/path/to/igtbridge/scripts/slicer_check.py').read())
#
# For IGTB_CHECK_S seconds (default 5) it counts the updates of the nodes the
# OpenIGTLinkIF connector fills, without blocking Slicer (a Qt timer), then
# prints one line per check and a verdict:
#   - the connector (IGTB_CONNECTOR, default "igtbridge", else the first
#     vtkMRMLIGTLConnectorNode) is connected;
#   - the ultrasound image (IGTB_IMAGE, Image_Reference) and the label map
#     (IGTB_MASK, BoneMask) update, at what rate; the label map is a label map
#     volume (vtkMRMLLabelMapVolumeNode) with the image's dimensions and the
#     image's IJK->RAS matrix (the bridge copies the input geometry);
#   - the contour model (IGTB_CONTOUR, BoneContour) updates and how many points
#     and lines it has now;
#   - the state text (IGTB_STATE, BoneMaskState) updates and parses as JSON:
#     frame, state, e2e latency, tracks.
# Settings: console variables set before exec, else environment variables of the
# same name, else the defaults above. Results are also kept in
# slicer.igtbridge_check (a dict) for scripting.

import json
import os

import qt
import slicer
import vtk


def _igtb_setting(name, default):
    # A console variable wins (even a falsy one), then the environment, then the default.
    if globals().get(name) is not None:
        return str(globals()[name])
    return str(os.environ.get(name) or default)


_igtb_names = {
    "connector": _igtb_setting("IGTB_CONNECTOR", "igtbridge"),
    "image": _igtb_setting("IGTB_IMAGE", "Image_Reference"),
    "mask": _igtb_setting("IGTB_MASK", "BoneMask"),
    "contour": _igtb_setting("IGTB_CONTOUR", "BoneContour"),
    "state": _igtb_setting("IGTB_STATE", "BoneMaskState"),
}
_igtb_seconds = max(0.5, float(_igtb_setting("IGTB_CHECK_S", "5")))  # at least one timer tick or two
_igtb_classes = {"image": "vtkMRMLVolumeNode", "mask": "vtkMRMLVolumeNode",
                 "contour": "vtkMRMLModelNode", "state": "vtkMRMLTextNode"}


class _IgtbCheck:
    def __init__(self):
        self.counts = {k: 0 for k in _igtb_classes}
        self.observed = {}  # key -> (node, tag)
        self.timer = qt.QTimer()
        self.timer.setInterval(200)
        self.timer.connect("timeout()", self.poll)
        self.elapsed = qt.QElapsedTimer()

    def start(self):
        self.elapsed.start()
        self.poll()
        self.timer.start()
        print("igtbridge check: watching %s for %g s ..." % (", ".join(_igtb_names[k] for k in _igtb_classes),
                                                             _igtb_seconds))

    def poll(self):
        # Nodes may appear during the check (the connector creates them on first arrival).
        for key, cls in _igtb_classes.items():
            if key in self.observed:
                continue
            node = slicer.mrmlScene.GetFirstNode(_igtb_names[key], cls)
            if node is not None:
                # Node classes define only their own events; ModifiedEvent is vtkCommand's.
                if key in ("image", "mask"):
                    event = node.ImageDataModifiedEvent
                elif key == "contour":
                    event = node.MeshModifiedEvent
                else:
                    event = vtk.vtkCommand.ModifiedEvent
                tag = node.AddObserver(event, lambda *_, k=key: self.bump(k))
                self.observed[key] = (node, tag)
        if self.elapsed.elapsed() >= _igtb_seconds * 1000:
            self.timer.stop()
            self.finish()

    def bump(self, key):
        self.counts[key] += 1

    def finish(self):
        for node, tag in self.observed.values():
            node.RemoveObserver(tag)
        seconds = self.elapsed.elapsed() / 1000.0
        results = []

        def check(ok, what):
            results.append((bool(ok), what))
            print("  %s  %s" % ("ok  " if ok else "FAIL", what))

        print("igtbridge check after %.1f s:" % seconds)
        conn = slicer.mrmlScene.GetFirstNode(_igtb_names["connector"], "vtkMRMLIGTLConnectorNode")
        if conn is None:
            conn = slicer.mrmlScene.GetFirstNodeByClass("vtkMRMLIGTLConnectorNode")
        check(conn is not None and conn.GetState() == slicer.vtkMRMLIGTLConnectorNode.StateConnected,
              "connector %s" % ("'%s' %s:%d state %d (2 = connected)" % (conn.GetName(), conn.GetServerHostname(),
                                                                         conn.GetServerPort(), conn.GetState())
                                if conn is not None else "not found (run scripts/slicer_setup.py first)"))
        for key in ("image", "mask", "contour", "state"):
            n = self.counts[key]
            check(key in self.observed and n > 0,
                  "%-13s %s" % (_igtb_names[key], "%d updates, %.1f per s" % (n, n / seconds)
                                if key in self.observed else "never arrived"))
        image = self.observed.get("image", (None,))[0]
        mask = self.observed.get("mask", (None,))[0]
        if mask is not None:
            check(mask.IsA("vtkMRMLLabelMapVolumeNode"),
                  "%s is a label map volume (%s)" % (_igtb_names["mask"], mask.GetClassName()))
        if image is not None and mask is not None and image.GetImageData() and mask.GetImageData():
            dims_i, dims_m = image.GetImageData().GetDimensions(), mask.GetImageData().GetDimensions()
            check(dims_i == dims_m, "label map dimensions %s, image %s" % (dims_m, dims_i))
            mi, mm = vtk_matrix(image), vtk_matrix(mask)
            worst = max(abs(a - b) for a, b in zip(mi, mm))
            check(worst < 1e-4, "label map IJK->RAS equals the image's (largest difference %.2g)" % worst)
        contour = self.observed.get("contour", (None,))[0]
        if contour is not None and contour.GetPolyData() is not None:
            pd = contour.GetPolyData()
            print("        %s now: %d points, %d lines" % (_igtb_names["contour"], pd.GetNumberOfPoints(),
                                                          pd.GetNumberOfLines()))
        state = self.observed.get("state", (None,))[0]
        if state is not None:
            try:
                s = json.loads(state.GetText())
            except (ValueError, TypeError) as e:
                s, why = None, "state text is not JSON: %s" % e
            if s is not None and not isinstance(s, dict):
                s, why = None, "state text is JSON but not an object: %.60s" % state.GetText()
            if s is None:
                check(False, why)
            else:
                tracks = s.get("tracks")
                check(isinstance(tracks, list), "state: frame %s, %s, e2e %s ms, %s tracks%s"
                      % (s.get("frame"), s.get("state"), s.get("e2e_ms"),
                         len(tracks) if isinstance(tracks, list) else "no list of",
                         ", FAILED: %s" % s.get("error") if s.get("failed") else ""))
        ok = all(r for r, _ in results)
        print("igtbridge check: %s" % ("PASSED" if ok else "FAILED"))
        slicer.igtbridge_check = {"passed": ok, "seconds": seconds, "updates": dict(self.counts),
                                  "results": [{"ok": r, "what": w} for r, w in results]}


def vtk_matrix(volume):
    m = vtk.vtkMatrix4x4()
    volume.GetIJKToRASMatrix(m)
    return [m.GetElement(i, j) for i in range(4) for j in range(4)]


slicer.igtbridge_checker = _IgtbCheck()  # kept alive until it finishes
slicer.igtbridge_checker.start()
