#!/usr/bin/env python3
"""Tests scripts/slicer_setup.py and scripts/slicer_check.py without 3D Slicer.

    python3 tests/scripts/test_slicer_scripts.py SRC_DIR [--assume-node-modifiedevent] [unittest args]

The two scripts are meant to be pasted into Slicer's Python console. This test
puts minimal stand-ins for the modules they import (slicer, qt, vtk) into
sys.modules and execs the scripts, as the console would, in a fresh globals
dict. The stand-ins model the real API (Slicer 5.x MRML, SlicerOpenIGTLink's
vtkMRMLIGTLConnectorNode, PythonQt's QTimer/QElapsedTimer, VTK's Python
wrapping): the class hierarchy used by IsA()/GetFirstNode(), the event ids
each class defines (vtkMRMLVolumeNode.ImageDataModifiedEvent = 18001,
vtkMRMLModelNode.MeshModifiedEvent = 17001, vtkMRMLTextNode.TextModifiedEvent =
51000, vtk.vtkCommand.ModifiedEvent = 33; VTK's Python wrapping does NOT put
vtkCommand's event ids on vtkObject subclasses), and the methods the scripts
call. Any other member a script reads raises AttributeError naming it, and is
also recorded so that a script that swallows the error still fails the test:
that is how API drift shows up here.

--assume-node-modifiedevent gives every MRML node class a ModifiedEvent
attribute (= vtkCommand.ModifiedEvent), which real Slicer does not have; it only
exists to exercise the rest of slicer_check.py when the script still reads
node.ModifiedEvent.

Standard library only; exit status 0 when every test passes.
"""

import contextlib
import io
import json
import os
import sys
import traceback
import types
import unittest

SRC_DIR = None
ASSUME_NODE_MODIFIEDEVENT = False

# Members the scripts tried to read that the stand-ins lack ("Class.member").
MISSING = []
# Reads that legitimately fail (getattr with a default on the slicer module).
ALLOWED_MISSING = {"slicer.igtbridge_timer", "slicer.igtbridge_check", "slicer.igtbridge_checker"}
HINTS = {
    "ModifiedEvent": "VTK's Python wrapping defines ModifiedEvent on vtk.vtkCommand only (vtkObject and the "
                     "vtkMRML*Node classes have no such attribute); use vtk.vtkCommand.ModifiedEvent, or the "
                     "class's own event (vtkMRMLTextNode.TextModifiedEvent, vtkMRMLModelNode.MeshModifiedEvent)",
}


def _missing(owner, name):
    MISSING.append("%s.%s" % (owner, name))
    hint = HINTS.get(name)
    return AttributeError("stand-in '%s' has no member '%s': the script uses an API that the stand-ins (modelled on "
                          "Slicer/VTK/PythonQt) do not have%s" % (owner, name, "; " + hint if hint else ""))


class _StrictMeta(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise _missing(cls.__name__, name)


class Strict(metaclass=_StrictMeta):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise _missing(type(self).__name__, name)


class FakeClock:
    ms = 0


# ----------------------------------------------------------------------------- vtk
class vtkObjectBase(Strict):
    def GetClassName(self):
        return type(self).__name__

    def IsA(self, name):
        return int(any(c.__name__ == name for c in type(self).__mro__))


class vtkCommand(vtkObjectBase):
    NoEvent = 0
    AnyEvent = 1
    DeleteEvent = 2
    ModifiedEvent = 33


_VTK_EVENT_NAMES = {0: "NoEvent", 1: "AnyEvent", 2: "DeleteEvent", 33: "ModifiedEvent"}


class vtkObject(vtkObjectBase):
    def __init__(self):
        self._t_observers = {}  # tag -> (event id, callback)
        self._t_next_tag = 1

    def AddObserver(self, event, callback, priority=0.0):
        if isinstance(event, str):
            ids = {v: k for k, v in _VTK_EVENT_NAMES.items()}
            if event not in ids:
                raise ValueError("AddObserver: unknown event name %r" % event)
            event = ids[event]
        if not isinstance(event, int) or isinstance(event, bool):
            raise TypeError("AddObserver: event must be an int or a str, got %r" % (event,))
        if not callable(callback):
            raise TypeError("AddObserver: callback is not callable")
        tag = self._t_next_tag
        self._t_next_tag += 1
        self._t_observers[tag] = (event, callback)
        return tag

    def RemoveObserver(self, tag):
        self._t_observers.pop(tag, None)

    def HasObserver(self, event):
        return int(any(e == event for e, _ in self._t_observers.values()))

    def InvokeEvent(self, event, callData=None):
        for e, cb in list(self._t_observers.values()):
            if e == event or e == vtkCommand.AnyEvent:
                cb(self, _VTK_EVENT_NAMES.get(event, "UserEvent"))
        return 0

    def Modified(self):
        self.InvokeEvent(vtkCommand.ModifiedEvent)


class vtkMatrix4x4(vtkObject):
    def __init__(self):
        super().__init__()
        self._t_e = [[1.0 if i == j else 0.0 for j in range(4)] for i in range(4)]

    def GetElement(self, i, j):
        return self._t_e[i][j]

    def SetElement(self, i, j, v):
        self._t_e[i][j] = float(v)

    def DeepCopy(self, other):
        self._t_e = [row[:] for row in other._t_e]


def _matrix(rows):
    m = vtkMatrix4x4()
    for i in range(4):
        for j in range(4):
            m.SetElement(i, j, rows[i][j])
    return m


class vtkImageData(vtkObject):
    def __init__(self, dims=(0, 0, 0)):
        super().__init__()
        self._t_dims = tuple(int(d) for d in dims)

    def SetDimensions(self, i, j, k):
        self._t_dims = (int(i), int(j), int(k))

    def GetDimensions(self):
        return self._t_dims


class vtkPolyData(vtkObject):
    def __init__(self, points=0, lines=0):
        super().__init__()
        self._t_points, self._t_lines = points, lines

    def GetNumberOfPoints(self):
        return self._t_points

    def GetNumberOfLines(self):
        return self._t_lines


class vtkLookupTable(vtkObject):
    def __init__(self):
        super().__init__()
        self._t_values = [(0.0, 0.0, 0.0, 1.0)] * 256
        self._t_range = (0.0, 1.0)

    def SetNumberOfTableValues(self, n):
        self._t_values = (self._t_values + [(0.0, 0.0, 0.0, 1.0)] * n)[:n]

    def GetNumberOfTableValues(self):
        return len(self._t_values)

    def SetTableRange(self, lo, hi):
        self._t_range = (float(lo), float(hi))

    def GetTableRange(self):
        return self._t_range

    def SetTableValue(self, i, r, g, b, a=1.0):
        self._t_values[i] = (float(r), float(g), float(b), float(a))

    def GetTableValue(self, i):
        return self._t_values[i]


# ----------------------------------------------------------------------------- MRML
class vtkMRMLNode(vtkObject):
    HierarchyModifiedEvent = 16000
    IDChangedEvent = 16001
    ReferenceAddedEvent = 16002
    ReferenceModifiedEvent = 16003
    ReferenceRemovedEvent = 16004
    ReferencedNodeModifiedEvent = 16005

    def __init__(self):
        super().__init__()
        self._t_name = None
        self._t_id = None
        self._t_scene = None

    def GetName(self):
        return self._t_name

    def SetName(self, name):
        self._t_name = name

    def GetID(self):
        return self._t_id

    def GetScene(self):
        return self._t_scene


class vtkMRMLStorableNode(vtkMRMLNode):
    pass


class vtkMRMLTransformableNode(vtkMRMLStorableNode):
    TransformModifiedEvent = 15000


class vtkMRMLDisplayNode(vtkMRMLNode):
    def __init__(self):
        super().__init__()
        self._t_color_node_id = None
        self._t_visibility2d = 0
        self._t_scalar_visibility = 0
        self._t_color = (0.5, 0.5, 0.5)
        self._t_line_width = 1.0

    def SetAndObserveColorNodeID(self, node_id):
        if node_id is not None and not isinstance(node_id, str):
            raise TypeError("SetAndObserveColorNodeID expects a node ID string, got %r" % (node_id,))
        self._t_color_node_id = node_id

    def GetColorNodeID(self):
        return self._t_color_node_id

    def GetColorNode(self):
        return self._t_scene.GetNodeByID(self._t_color_node_id) if self._t_color_node_id else None

    def SetVisibility2D(self, v):
        self._t_visibility2d = int(v)

    def GetVisibility2D(self):
        return self._t_visibility2d

    def SetScalarVisibility(self, v):
        self._t_scalar_visibility = int(v)

    def GetScalarVisibility(self):
        return self._t_scalar_visibility

    def SetColor(self, *rgb):
        if len(rgb) == 1:
            rgb = tuple(rgb[0])
        if len(rgb) != 3:
            raise TypeError("SetColor expects r, g, b")
        self._t_color = tuple(float(c) for c in rgb)

    def GetColor(self):
        return self._t_color

    def SetLineWidth(self, w):
        self._t_line_width = float(w)

    def GetLineWidth(self):
        return self._t_line_width


class vtkMRMLVolumeDisplayNode(vtkMRMLDisplayNode):
    pass


class vtkMRMLScalarVolumeDisplayNode(vtkMRMLVolumeDisplayNode):
    pass


class vtkMRMLLabelMapVolumeDisplayNode(vtkMRMLVolumeDisplayNode):
    pass


class vtkMRMLModelDisplayNode(vtkMRMLDisplayNode):
    SliceDisplayIntersection = 0
    SliceDisplayProjection = 1
    SliceDisplayDistanceEncodedProjection = 2

    def __init__(self):
        super().__init__()
        self._t_slice_mode = 0

    def SetSliceDisplayModeToProjection(self):
        self._t_slice_mode = self.SliceDisplayProjection

    def SetSliceDisplayModeToIntersection(self):
        self._t_slice_mode = self.SliceDisplayIntersection

    def GetSliceDisplayMode(self):
        return self._t_slice_mode


class vtkMRMLDisplayableNode(vtkMRMLTransformableNode):
    DisplayModifiedEvent = 17000
    _t_display_class = None

    def __init__(self):
        super().__init__()
        self._t_display = None

    def GetDisplayNode(self):
        return self._t_display

    def CreateDefaultDisplayNodes(self):
        if self._t_display is None and self._t_display_class is not None:
            if self._t_scene is None:
                raise RuntimeError("CreateDefaultDisplayNodes: node is not in a scene")
            self._t_display = self._t_scene.AddNewNodeByClass(self._t_display_class)


class vtkMRMLVolumeNode(vtkMRMLDisplayableNode):
    ImageDataModifiedEvent = 18001

    def __init__(self):
        super().__init__()
        self._t_image = None
        self._t_ijk_to_ras = vtkMatrix4x4()

    def GetImageData(self):
        return self._t_image

    def SetAndObserveImageData(self, image):
        self._t_image = image

    def GetIJKToRASMatrix(self, mat):
        if not isinstance(mat, vtkMatrix4x4):
            raise TypeError("GetIJKToRASMatrix expects a vtkMatrix4x4 to fill, got %r" % (mat,))
        mat.DeepCopy(self._t_ijk_to_ras)

    def SetIJKToRASMatrix(self, mat):
        self._t_ijk_to_ras.DeepCopy(mat)


class vtkMRMLScalarVolumeNode(vtkMRMLVolumeNode):
    _t_display_class = "vtkMRMLScalarVolumeDisplayNode"


class vtkMRMLLabelMapVolumeNode(vtkMRMLScalarVolumeNode):
    _t_display_class = "vtkMRMLLabelMapVolumeDisplayNode"


class vtkMRMLModelNode(vtkMRMLDisplayableNode):
    MeshModifiedEvent = 17001
    PolyDataModifiedEvent = 17001
    _t_display_class = "vtkMRMLModelDisplayNode"

    def __init__(self):
        super().__init__()
        self._t_polydata = None

    def GetPolyData(self):
        return self._t_polydata

    def SetAndObservePolyData(self, pd):
        self._t_polydata = pd


class vtkMRMLTextNode(vtkMRMLStorableNode):
    TextModifiedEvent = 51000

    def __init__(self):
        super().__init__()
        self._t_text = ""

    def GetText(self):
        return self._t_text

    def SetText(self, text, encoding=-1):
        if text != self._t_text:
            self._t_text = text
            self.InvokeEvent(self.TextModifiedEvent)
        self.Modified()


class vtkMRMLColorNode(vtkMRMLStorableNode):
    User = 13
    File = 14

    def __init__(self):
        super().__init__()
        self._t_type = -1

    def SetTypeToUser(self):
        self._t_type = self.User

    def GetType(self):
        return self._t_type


class vtkMRMLColorTableNode(vtkMRMLColorNode):
    def __init__(self):
        super().__init__()
        self._t_lut = vtkLookupTable()
        self._t_lut.SetNumberOfTableValues(0)
        self._t_names = {}

    def GetLookupTable(self):
        return self._t_lut

    def SetNumberOfColors(self, n):
        if self._t_type not in (self.User, self.File):
            raise RuntimeError("SetNumberOfColors: Cannot set number of colors if not a user defined color table")
        self._t_lut.SetNumberOfTableValues(n)

    def GetNumberOfColors(self):
        return self._t_lut.GetNumberOfTableValues()

    def SetColor(self, entry, name, r, g, b, a=1.0):
        if not isinstance(name, str):
            raise TypeError("stand-in SetColor(entry, name, r, g, b, a): name must be a str")
        if not 0 <= entry < self.GetNumberOfColors():
            raise IndexError("SetColor: entry %d out of range 0..%d" % (entry, self.GetNumberOfColors() - 1))
        self._t_lut.SetTableValue(entry, r, g, b, a)
        self._t_names[entry] = name
        return 1

    def GetColorName(self, entry):
        return self._t_names.get(entry, "")


class vtkMRMLIGTLConnectorNode(vtkMRMLNode):
    StateOff = 0
    StateWaitConnection = 1
    StateConnected = 2
    TypeNotDefined = 0
    TypeServer = 1
    TypeClient = 2

    def __init__(self):
        super().__init__()
        self._t_state = self.StateOff
        self._t_type = self.TypeNotDefined
        self._t_host = None
        self._t_port = 0
        self._t_starts = 0
        self._t_stops = 0

    def GetState(self):
        return self._t_state

    def SetTypeClient(self, hostname, port):
        if not isinstance(hostname, str) or not isinstance(port, int):
            raise TypeError("SetTypeClient(hostname: str, port: int), got %r, %r" % (hostname, port))
        self._t_type, self._t_host, self._t_port = self.TypeClient, hostname, port
        return 1

    def GetType(self):
        return self._t_type

    def GetServerHostname(self):
        return self._t_host

    def GetServerPort(self):
        return self._t_port

    def Start(self):
        if self._t_state != self.StateOff or self._t_type == self.TypeNotDefined:
            return 0
        self._t_state = self.StateWaitConnection
        self._t_starts += 1
        return 1

    def Stop(self):
        self._t_state = self.StateOff
        self._t_stops += 1
        return 1


class vtkMRMLSliceCompositeNode(vtkMRMLNode):
    def __init__(self):
        super().__init__()
        self._t_background = None
        self._t_label = None
        self._t_label_opacity = 1.0

    def SetBackgroundVolumeID(self, node_id):
        if node_id is not None and not isinstance(node_id, str):
            raise TypeError("SetBackgroundVolumeID expects an ID string, got %r" % (node_id,))
        self._t_background = node_id

    def GetBackgroundVolumeID(self):
        return self._t_background

    def SetLabelVolumeID(self, node_id):
        if node_id is not None and not isinstance(node_id, str):
            raise TypeError("SetLabelVolumeID expects an ID string, got %r" % (node_id,))
        self._t_label = node_id

    def GetLabelVolumeID(self):
        return self._t_label

    def SetLabelOpacity(self, v):
        self._t_label_opacity = float(v)

    def GetLabelOpacity(self):
        return self._t_label_opacity


class vtkMRMLSliceNode(vtkMRMLNode):
    def __init__(self):
        super().__init__()
        self._t_rotated_to = []

    def RotateToVolumePlane(self, volumeNode, forceSlicePlaneToSingleSlice=True):
        if not isinstance(volumeNode, vtkMRMLVolumeNode):
            raise TypeError("RotateToVolumePlane expects a vtkMRMLVolumeNode, got %r" % (volumeNode,))
        self._t_rotated_to.append(volumeNode)


class vtkMRMLSliceLogic(vtkObject):
    def __init__(self):
        super().__init__()
        self._t_fits = 0

    def FitSliceToAll(self, width=-1, height=-1):
        self._t_fits += 1


MRML_CLASSES = {c.__name__: c for c in [
    vtkMRMLNode, vtkMRMLStorableNode, vtkMRMLTransformableNode, vtkMRMLDisplayableNode, vtkMRMLDisplayNode,
    vtkMRMLVolumeDisplayNode, vtkMRMLScalarVolumeDisplayNode, vtkMRMLLabelMapVolumeDisplayNode,
    vtkMRMLModelDisplayNode, vtkMRMLVolumeNode, vtkMRMLScalarVolumeNode, vtkMRMLLabelMapVolumeNode,
    vtkMRMLModelNode, vtkMRMLTextNode, vtkMRMLColorNode, vtkMRMLColorTableNode, vtkMRMLIGTLConnectorNode,
    vtkMRMLSliceCompositeNode, vtkMRMLSliceNode]}
_ABSTRACT = {"vtkMRMLNode", "vtkMRMLStorableNode", "vtkMRMLTransformableNode", "vtkMRMLDisplayableNode",
             "vtkMRMLDisplayNode", "vtkMRMLVolumeDisplayNode", "vtkMRMLVolumeNode", "vtkMRMLColorNode"}


class vtkMRMLScene(vtkObject):
    def __init__(self):
        super().__init__()
        self._t_nodes = []
        self._t_counter = {}

    def AddNode(self, node):
        cls = node.GetClassName()
        self._t_counter[cls] = self._t_counter.get(cls, 0) + 1
        node._t_id = "%s%d" % (cls, self._t_counter[cls])
        if node.GetName() is None:
            node.SetName("%s_%d" % (cls.replace("vtkMRML", "").replace("Node", ""), self._t_counter[cls]))
        node._t_scene = self
        self._t_nodes.append(node)
        return node

    def AddNewNodeByClass(self, className, nodeBaseName=""):
        if className not in MRML_CLASSES or className in _ABSTRACT:
            raise ValueError("stand-in AddNewNodeByClass: cannot create a node of class %r" % className)
        node = MRML_CLASSES[className]()
        if nodeBaseName:
            node.SetName(nodeBaseName)
        return self.AddNode(node)

    def RemoveNode(self, node):
        if node not in self._t_nodes:
            raise ValueError("RemoveNode: node %s is not in the scene" % node.GetID())
        self._t_nodes.remove(node)
        if isinstance(node, vtkMRMLDisplayableNode) and node._t_display in self._t_nodes:
            self._t_nodes.remove(node._t_display)
        node._t_scene = None

    def GetFirstNode(self, byName=None, byClass=None, byHideFromEditors=None, exactNameMatch=True):
        if not exactNameMatch or byHideFromEditors is not None:
            raise NotImplementedError("stand-in GetFirstNode: only exact name matches")
        for n in self._t_nodes:
            if (byName is None or n.GetName() == byName) and (byClass is None or n.IsA(byClass)):
                return n
        return None

    def GetFirstNodeByClass(self, className):
        return self.GetFirstNode(None, className)

    def GetNodeByID(self, node_id):
        return next((n for n in self._t_nodes if n.GetID() == node_id), None)

    # test helpers
    def _t_find(self, name=None, cls=None):
        return [n for n in self._t_nodes
                if (name is None or n.GetName() == name) and (cls is None or n.IsA(cls))]


# ----------------------------------------------------------------------------- Qt / slicer.app
class QTimer(Strict):
    instances = []

    def __init__(self, parent=None):
        self._t_interval = 0
        self._t_slots = []
        self._t_active = False
        QTimer.instances.append(self)

    def setInterval(self, msec):
        self._t_interval = int(msec)

    def interval(self):
        return self._t_interval

    def connect(self, signal, slot):
        if signal != "timeout()":
            raise ValueError("QTimer has no signal %r" % signal)
        if not callable(slot):
            raise TypeError("connect: slot is not callable")
        self._t_slots.append(slot)
        return True

    def start(self, msec=None):
        if msec is not None:
            self._t_interval = int(msec)
        self._t_active = True

    def stop(self):
        self._t_active = False

    def isActive(self):
        return self._t_active

    def _t_timeout(self):
        """What the event loop does when the interval has passed."""
        if not self._t_active:
            raise AssertionError("test bug: firing a timer that is not active")
        for slot in list(self._t_slots):
            slot()


class QElapsedTimer(Strict):
    def __init__(self):
        self._t_start = None

    def start(self):
        self._t_start = FakeClock.ms

    def restart(self):
        old = self.elapsed()
        self.start()
        return old

    def elapsed(self):
        if self._t_start is None:
            raise RuntimeError("QElapsedTimer.elapsed() before start()")
        return int(FakeClock.ms - self._t_start)

    def isValid(self):
        return self._t_start is not None


class qMRMLSliceWidget(Strict):
    def __init__(self, scene):
        self._t_composite = scene.AddNewNodeByClass("vtkMRMLSliceCompositeNode")
        self._t_slice = scene.AddNewNodeByClass("vtkMRMLSliceNode")
        self._t_logic = vtkMRMLSliceLogic()

    def mrmlSliceCompositeNode(self):
        return self._t_composite

    def mrmlSliceNode(self):
        return self._t_slice

    def sliceLogic(self):
        return self._t_logic


class qSlicerLayoutManager(Strict):
    def __init__(self, scene):
        self._t_widgets = {name: qMRMLSliceWidget(scene) for name in ("Red", "Yellow", "Green")}

    def sliceViewNames(self):
        return list(self._t_widgets)

    def sliceWidget(self, name):
        return self._t_widgets.get(name)


class qSlicerApplication(Strict):
    def __init__(self, scene):
        self._t_layout = qSlicerLayoutManager(scene)

    def layoutManager(self):
        return self._t_layout


class StrictModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        full = "%s.%s" % (self.__name__, name)
        if full in ALLOWED_MISSING:
            raise AttributeError(full)
        raise _missing(self.__name__, name)


class Env:
    """A fresh fake Slicer: modules in sys.modules, a scene, a layout, a clock."""

    def __init__(self):
        FakeClock.ms = 1_000_000
        QTimer.instances = []
        if ASSUME_NODE_MODIFIEDEVENT:
            vtkMRMLNode.ModifiedEvent = vtkCommand.ModifiedEvent
        elif "ModifiedEvent" in vtkMRMLNode.__dict__:
            del vtkMRMLNode.ModifiedEvent
        self.vtk = StrictModule("vtk")
        for c in (vtkObjectBase, vtkObject, vtkCommand, vtkMatrix4x4, vtkImageData, vtkPolyData, vtkLookupTable):
            setattr(self.vtk, c.__name__, c)
        self.qt = StrictModule("qt")
        self.qt.QTimer = QTimer
        self.qt.QElapsedTimer = QElapsedTimer
        self.slicer = StrictModule("slicer")
        self.scene = vtkMRMLScene()
        self.slicer.mrmlScene = self.scene
        self.slicer.app = qSlicerApplication(self.scene)
        for name, c in MRML_CLASSES.items():
            setattr(self.slicer, name, c)
        self.slicer.vtkMRMLScene = vtkMRMLScene
        sys.modules.update(vtk=self.vtk, qt=self.qt, slicer=self.slicer)
        for k in list(os.environ):
            if k.startswith("IGTB_"):
                del os.environ[k]
        MISSING.clear()

    def run(self, script, **settings):
        """exec the script as the Slicer console does; returns (globals, printed text)."""
        path = os.path.join(SRC_DIR, "scripts", script)
        with open(path) as f:
            source = f.read()
        g = {"__name__": "__main__"}
        g.update(settings)
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(source, path, "exec"), g)
        except Exception:
            MISSING.clear()  # reported here; tearDown is for members a script read and swallowed
            raise AssertionError("exec of %s raised:\n%s\n--- its output:\n%s"
                                 % (script, traceback.format_exc(), out.getvalue())) from None
        return g, out.getvalue()

    def fire(self, timer, output=None):
        out = output if output is not None else io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                timer._t_timeout()
        except AssertionError:
            raise
        except Exception:
            MISSING.clear()
            raise AssertionError("the script's timer slot raised:\n%s\n--- its output:\n%s"
                                 % (traceback.format_exc(), out.getvalue())) from None
        return out.getvalue()

    # nodes as the OpenIGTLinkIF connector would make them
    def add_volume(self, name, cls="vtkMRMLScalarVolumeNode", dims=(64, 48, 1), matrix=None):
        node = self.scene.AddNewNodeByClass(cls, name)
        node.SetAndObserveImageData(vtkImageData(dims))
        node.SetIJKToRASMatrix(matrix or IMAGE_MATRIX)
        node.CreateDefaultDisplayNodes()
        return node

    def add_model(self, name, points=40, lines=1, display=True):
        node = self.scene.AddNewNodeByClass("vtkMRMLModelNode", name)
        node.SetAndObservePolyData(vtkPolyData(points, lines))
        if display:
            node.CreateDefaultDisplayNodes()
        return node


IMAGE_MATRIX = _matrix([[-0.2, 0, 0, 10.0], [0, -0.2, 0, 20.0], [0, 0, 1.0, -5.0], [0, 0, 0, 1]])
OTHER_MATRIX = _matrix([[-0.2, 0, 0, 10.0], [0, -0.2, 0, 20.5], [0, 0, 1.0, -5.0], [0, 0, 0, 1]])
STATE = {"frame": 12, "state": "VISIBLE", "failed": False, "e2e_ms": 5.1, "tracks": [{"id": 1}]}


def image_update(node):  # what a new IMAGE message does to the volume node
    node.InvokeEvent(node.ImageDataModifiedEvent)
    node.Modified()


def mesh_update(node):  # a new POLYDATA message
    node.InvokeEvent(node.MeshModifiedEvent)
    node.Modified()


class Base(unittest.TestCase):
    def setUp(self):
        self.env = Env()

    def tearDown(self):
        unexpected = [m for m in MISSING if m not in ALLOWED_MISSING]
        MISSING.clear()
        self.assertEqual(unexpected, [], "the scripts read members the stand-ins lack (API drift?)")


# ----------------------------------------------------------------------------- slicer_setup.py
class SetupTest(Base):
    def check_nodes(self, out):
        scene = self.env.scene
        masks = scene._t_find("BoneMask")
        self.assertEqual(len(masks), 1, "exactly one node named BoneMask\n" + out)
        mask = masks[0]
        self.assertEqual(mask.GetClassName(), "vtkMRMLLabelMapVolumeNode", out)
        colors = scene._t_find("igtbridge labels")
        self.assertEqual(len(colors), 1, out)
        colors = colors[0]
        self.assertEqual(colors.GetClassName(), "vtkMRMLColorTableNode")
        self.assertEqual(colors.GetNumberOfColors(), 256)
        self.assertEqual(colors.GetLookupTable().GetTableValue(0)[3], 0.0, "colour 0 is transparent")
        self.assertTrue(all(colors.GetLookupTable().GetTableValue(i)[3] == 1.0 for i in range(1, 256)))
        self.assertEqual(len({colors.GetLookupTable().GetTableValue(i) for i in range(1, 17)}), 16,
                         "ids 1..16 get 16 distinct colours")
        self.assertEqual(colors.GetLookupTable().GetTableRange(), (0.0, 255.0))
        display = mask.GetDisplayNode()
        self.assertIsNotNone(display, "the label map has a display node")
        self.assertTrue(display.IsA("vtkMRMLLabelMapVolumeDisplayNode"))
        self.assertEqual(display.GetColorNodeID(), colors.GetID())
        conns = scene._t_find("igtbridge", "vtkMRMLIGTLConnectorNode")
        self.assertEqual(len(conns), 1, out)
        conn = conns[0]
        self.assertEqual(conn.GetType(), conn.TypeClient)
        self.assertEqual((conn.GetServerHostname(), conn.GetServerPort()), ("127.0.0.1", 18945))
        self.assertNotEqual(conn.GetState(), conn.StateOff, "the connector was started")
        self.assertIn("started", out)
        timer = self.env.slicer.igtbridge_timer
        self.assertTrue(timer.isActive())
        self.assertEqual(timer.interval(), 500)
        return mask, colors, conn, timer

    def test_creates_nodes_and_reruns_without_duplicates(self):
        _, out = self.env.run("slicer_setup.py")
        mask, colors, conn, timer = self.check_nodes(out)
        counts = {c: len(self.env.scene._t_find(cls=c)) for c in MRML_CLASSES}
        _, out2 = self.env.run("slicer_setup.py")
        mask2, colors2, conn2, timer2 = self.check_nodes(out2)
        self.assertIs(mask2, mask)
        self.assertIs(colors2, colors)
        self.assertIs(conn2, conn)
        self.assertEqual({c: len(self.env.scene._t_find(cls=c)) for c in MRML_CLASSES}, counts, "no new nodes")
        self.assertEqual((conn._t_starts, conn._t_stops), (2, 1), "stopped and started again")
        self.assertFalse(timer.isActive(), "the first run's timer was stopped")
        self.assertIsNot(timer2, timer)

    def test_class_names_from_the_setting_or_the_model_file(self):
        _, out = self.env.run("slicer_setup.py", IGTB_CLASSES="bone, vessel")
        _, colors, _, _ = self.check_nodes(out)
        self.assertEqual([colors.GetColorName(i) for i in (1, 2, 3)], ["bone", "vessel", "track 3"])
        self.assertIn("label colours named by class: 1 bone, 2 vessel", out)
        # The model file itself: a TorchScript zip with aigt's extra/config.json.
        import tempfile
        import zipfile
        with tempfile.TemporaryDirectory() as d:
            model = os.path.join(d, "unet.pt")
            with zipfile.ZipFile(model, "w") as z:
                z.writestr("unet/extra/config.json", '{"shape": [1, 1, 128, 128], "class_names": ["spine"]}')
                z.writestr("unet/data.pkl", b"")
            _, out = self.env.run("slicer_setup.py", IGTB_MODEL=model)
            _, colors, _, _ = self.check_nodes(out)
            self.assertEqual([colors.GetColorName(i) for i in (1, 2)], ["spine", "track 2"])
            _, out = self.env.run("slicer_setup.py", IGTB_MODEL=os.path.join(d, "missing.pt"))
            _, colors, _, _ = self.check_nodes(out)
            self.assertIn("cannot read class names from", out)
            self.assertEqual(colors.GetColorName(1), "track 1")

    def test_replaces_grey_volume(self):
        grey = self.env.add_volume("BoneMask", "vtkMRMLScalarVolumeNode")
        _, out = self.env.run("slicer_setup.py")
        mask, _, _, _ = self.check_nodes(out)
        self.assertIsNot(mask, grey)
        self.assertNotIn(grey, self.env.scene._t_nodes)
        self.assertIn("removing grey volume", out)

    def test_settings_from_environment_and_console(self):
        os.environ["IGTB_PORT"] = "19000"
        os.environ["IGTB_HOST"] = "10.0.0.7"
        self.env.run("slicer_setup.py", IGTB_MASK="Labels", IGTB_HOST="192.168.1.2")
        conn = self.env.scene.GetFirstNode("igtbridge", "vtkMRMLIGTLConnectorNode")
        self.assertEqual((conn.GetServerHostname(), conn.GetServerPort()), ("192.168.1.2", 19000),
                         "console variable wins over the environment, environment over the default")
        self.assertIsNotNone(self.env.scene.GetFirstNode("Labels", "vtkMRMLLabelMapVolumeNode"))
        self.assertIsNone(self.env.scene.GetFirstNode("BoneMask"))

    def test_views_set_up_when_image_and_contour_arrive(self):
        _, out = self.env.run("slicer_setup.py")
        mask, _, _, timer = self.check_nodes(out)
        lm = self.env.slicer.app.layoutManager()
        widgets = [lm.sliceWidget(v) for v in lm.sliceViewNames()]
        self.env.fire(timer)
        self.assertTrue(all(w.mrmlSliceCompositeNode().GetBackgroundVolumeID() is None for w in widgets))
        self.assertTrue(timer.isActive())

        image = self.env.add_volume("Image_Reference")
        self.env.fire(timer)
        for w in widgets:
            comp = w.mrmlSliceCompositeNode()
            self.assertEqual(comp.GetBackgroundVolumeID(), image.GetID())
            self.assertEqual(comp.GetLabelVolumeID(), mask.GetID())
            self.assertEqual(comp.GetLabelOpacity(), 0.5)
            self.assertEqual(w.mrmlSliceNode()._t_rotated_to, [image])
            self.assertEqual(w.sliceLogic()._t_fits, 1)
        self.assertTrue(timer.isActive(), "still waiting for the contour")

        model = self.env.add_model("BoneContour", display=False)
        self.env.fire(timer)
        self.assertTrue(timer.isActive(), "a model without a display node is not set up yet")
        model.CreateDefaultDisplayNodes()
        self.env.fire(timer)
        d = model.GetDisplayNode()
        self.assertEqual(d.GetVisibility2D(), 1)
        self.assertEqual(d.GetSliceDisplayMode(), d.SliceDisplayProjection)
        self.assertEqual(d.GetScalarVisibility(), 0)
        self.assertEqual(d.GetColor(), (1.0, 1.0, 0.0))
        self.assertEqual(d.GetLineWidth(), 2.0)
        self.assertFalse(timer.isActive(), "the timer stops once both are set up")
        for w in widgets:
            self.assertEqual(w.sliceLogic()._t_fits, 1, "views were set up once")


# ----------------------------------------------------------------------------- slicer_check.py
class CheckTest(Base):
    def pipeline(self, mask_name="BoneMask", mask_class="vtkMRMLLabelMapVolumeNode", mask_matrix=None,
                 mask_dims=(64, 48, 1), connector=True, state=STATE):
        env = self.env
        nodes = {}
        if connector:
            conn = env.scene.AddNewNodeByClass("vtkMRMLIGTLConnectorNode", "igtbridge")
            conn.SetTypeClient("127.0.0.1", 18945)
            conn.Start()
            conn._t_state = conn.StateConnected  # the server accepted
            nodes["connector"] = conn
        nodes["image"] = env.add_volume("Image_Reference")
        nodes["mask"] = env.add_volume(mask_name, mask_class, mask_dims, mask_matrix)
        nodes["contour"] = env.add_model("BoneContour", points=40, lines=1)
        nodes["state"] = env.scene.AddNewNodeByClass("vtkMRMLTextNode", "BoneMaskState")
        nodes["state"].SetText(state if isinstance(state, str) else json.dumps(state))
        return nodes

    def run_check(self, nodes, updates, seconds=5.0, state_json=True, **settings):
        """execs the check, sends `updates` (key -> count) in the window, then lets it finish."""
        env = self.env
        _, out = env.run("slicer_check.py", **settings)
        checker = env.slicer.igtbridge_checker
        timer = checker.timer
        self.assertTrue(timer.isActive(), "the check runs from a timer\n" + out)
        text = json.loads(nodes["state"].GetText()) if state_json else None
        for i in range(max(updates.values(), default=0)):
            if i < updates.get("image", 0):
                image_update(nodes["image"])
            if i < updates.get("mask", 0):
                image_update(nodes["mask"])
            if i < updates.get("contour", 0):
                mesh_update(nodes["contour"])
            if i < updates.get("state", 0):
                if text is not None:
                    text["frame"] += 1
                    nodes["state"].SetText(json.dumps(text))
                else:
                    nodes["state"].SetText(nodes["state"].GetText() + " ")
            FakeClock.ms += 100
            out += env.fire(timer)
        FakeClock.ms += int(seconds * 1000) - 100 * max(updates.values(), default=0) - 1
        out += env.fire(timer)
        self.assertFalse(hasattr(env.slicer, "igtbridge_check"), "finished before IGTB_CHECK_S\n" + out)
        FakeClock.ms += 1
        out += env.fire(timer)
        self.assertFalse(timer.isActive(), "the timer stops when the check is done\n" + out)
        result = getattr(env.slicer, "igtbridge_check", None)
        self.assertIsInstance(result, dict, "slicer.igtbridge_check is set\n" + out)
        for key in ("image", "mask", "contour", "state"):
            self.assertFalse(nodes[key]._t_observers, "observers on %s removed" % key)
        return result, out

    @staticmethod
    def failures(result):
        return [r["what"] for r in result["results"] if not r["ok"]]

    UPDATES = {"image": 6, "mask": 5, "contour": 4, "state": 3}

    def test_happy_path(self):
        nodes = self.pipeline()
        result, out = self.run_check(nodes, self.UPDATES)
        self.assertTrue(result["passed"], out)
        self.assertEqual(result["updates"], {k: self.UPDATES[k] for k in ("image", "mask", "contour", "state")}, out)
        self.assertEqual(result["seconds"], 5.0)
        self.assertEqual(self.failures(result), [])
        self.assertIn("igtbridge check: PASSED", out)
        self.assertIn("BoneContour now: 40 points, 1 lines", out)
        self.assertTrue(any("frame 15, VISIBLE, e2e 5.1 ms, 1 tracks" in r["what"] for r in result["results"]), out)
        self.assertTrue(any("127.0.0.1:18945" in r["what"] for r in result["results"]), out)
        image_update(nodes["mask"])  # after the check: no longer counted
        self.assertEqual(result["updates"]["mask"], self.UPDATES["mask"])

    def test_check_seconds_setting(self):
        nodes = self.pipeline()
        result, out = self.run_check(nodes, self.UPDATES, seconds=2.0, IGTB_CHECK_S=2)
        self.assertTrue(result["passed"], out)
        self.assertEqual(result["seconds"], 2.0)

    def test_mask_never_updates(self):
        nodes = self.pipeline()
        result, out = self.run_check(nodes, dict(self.UPDATES, mask=0))
        self.assertFalse(result["passed"], out)
        self.assertEqual(result["updates"]["mask"], 0)
        fails = self.failures(result)
        self.assertTrue(fails and all("BoneMask" in f for f in fails), out)
        self.assertIn("igtbridge check: FAILED", out)

    def test_mask_matrix_differs(self):
        nodes = self.pipeline(mask_matrix=OTHER_MATRIX)
        result, out = self.run_check(nodes, self.UPDATES)
        self.assertFalse(result["passed"], out)
        fails = self.failures(result)
        self.assertEqual(len(fails), 1, out)
        self.assertIn("IJK->RAS", fails[0])

    def test_mask_dims_differ(self):
        nodes = self.pipeline(mask_dims=(32, 24, 1))
        result, out = self.run_check(nodes, self.UPDATES)
        self.assertFalse(result["passed"], out)
        fails = self.failures(result)
        self.assertEqual(len(fails), 1, out)
        self.assertIn("dimensions", fails[0])

    def test_mask_is_grey_volume(self):
        nodes = self.pipeline(mask_class="vtkMRMLScalarVolumeNode")
        result, out = self.run_check(nodes, self.UPDATES)
        self.assertFalse(result["passed"], out)
        fails = self.failures(result)
        self.assertEqual(len(fails), 1, out)
        self.assertIn("label map", fails[0])
        self.assertIn("vtkMRMLScalarVolumeNode", fails[0])

    def test_state_not_json(self):
        nodes = self.pipeline(state="frame 12 VISIBLE")
        result, out = self.run_check(nodes, self.UPDATES, state_json=False)
        self.assertFalse(result["passed"], out)
        fails = self.failures(result)
        self.assertEqual(len(fails), 1, out)
        self.assertIn("not JSON", fails[0])

    def test_state_json_but_not_an_object(self):
        for text, why in (("42", "not an object"), ('{"frame": 1, "tracks": null}', "no list of tracks")):
            self.setUp()
            nodes = self.pipeline(state=text)
            result, out = self.run_check(nodes, self.UPDATES, state_json=False)
            self.assertFalse(result["passed"], out)
            fails = self.failures(result)
            self.assertEqual(len(fails), 1, out)
            self.assertIn(why, fails[0])

    def test_check_seconds_zero_is_clamped(self):
        nodes = self.pipeline()
        result, out = self.run_check(nodes, {"image": 1, "mask": 1, "contour": 1, "state": 1}, seconds=0.5,
                                     IGTB_CHECK_S=0)
        self.assertTrue(result["passed"], out)
        self.assertEqual(result["seconds"], 0.5)

    def test_no_connector(self):
        nodes = self.pipeline(connector=False)
        result, out = self.run_check(nodes, self.UPDATES)
        self.assertFalse(result["passed"], out)
        fails = self.failures(result)
        self.assertEqual(len(fails), 1, out)
        self.assertIn("connector", fails[0])
        self.assertIn("not found", fails[0])

    def test_connector_not_connected(self):
        nodes = self.pipeline()
        nodes["connector"]._t_state = vtkMRMLIGTLConnectorNode.StateWaitConnection
        result, out = self.run_check(nodes, self.UPDATES)
        self.assertFalse(result["passed"], out)
        self.assertEqual(len(self.failures(result)), 1, out)

    def test_mask_name_from_console_variable(self):
        # A BoneMask that never updates, and the mask the user named, which does.
        nodes = self.pipeline(mask_name="MyMask")
        self.env.add_volume("BoneMask", "vtkMRMLLabelMapVolumeNode")
        result, out = self.run_check(nodes, self.UPDATES, IGTB_MASK="MyMask")
        self.assertTrue(result["passed"], out)
        self.assertEqual(result["updates"]["mask"], self.UPDATES["mask"])
        self.assertTrue(any("MyMask" in r["what"] for r in result["results"]), out)
        self.assertFalse(any("BoneMask " in r["what"] for r in result["results"]), out)

    def test_nodes_arriving_during_the_check(self):
        env = self.env
        conn = env.scene.AddNewNodeByClass("vtkMRMLIGTLConnectorNode", "igtbridge")
        conn.SetTypeClient("127.0.0.1", 18945)
        conn.Start()
        conn._t_state = conn.StateConnected
        _, out = env.run("slicer_check.py")
        timer = env.slicer.igtbridge_checker.timer
        FakeClock.ms += 200
        out += env.fire(timer)
        nodes = {"image": env.add_volume("Image_Reference"), "mask": env.add_volume("BoneMask",
                                                                                      "vtkMRMLLabelMapVolumeNode"),
                 "contour": env.add_model("BoneContour"),
                 "state": env.scene.AddNewNodeByClass("vtkMRMLTextNode", "BoneMaskState")}
        FakeClock.ms += 200
        out += env.fire(timer)  # now observed
        image_update(nodes["image"])
        image_update(nodes["mask"])
        mesh_update(nodes["contour"])
        nodes["state"].SetText(json.dumps(STATE))
        FakeClock.ms += 5000
        out += env.fire(timer)
        result = env.slicer.igtbridge_check
        self.assertTrue(result["passed"], out)
        self.assertEqual(result["updates"], {"image": 1, "mask": 1, "contour": 1, "state": 1})


def main(argv):
    global SRC_DIR, ASSUME_NODE_MODIFIEDEVENT
    args = [a for a in argv[1:]]
    if "--assume-node-modifiedevent" in args:
        args.remove("--assume-node-modifiedevent")
        ASSUME_NODE_MODIFIEDEVENT = True
    if not args or args[0].startswith("-"):
        print("usage: %s SRC_DIR [--assume-node-modifiedevent] [unittest args]" % argv[0], file=sys.stderr)
        return 2
    SRC_DIR = os.path.abspath(args.pop(0))
    for script in ("slicer_setup.py", "slicer_check.py"):
        if not os.path.isfile(os.path.join(SRC_DIR, "scripts", script)):
            print("%s: no scripts/%s under %s" % (argv[0], script, SRC_DIR), file=sys.stderr)
            return 2
    saved = {k: sys.modules.get(k) for k in ("vtk", "qt", "slicer")}
    try:
        prog = unittest.main(argv=[argv[0]] + args, exit=False, verbosity=2)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
