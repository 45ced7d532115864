# Connects 3D Slicer (5.x, with the SlicerOpenIGTLink extension) to igtbridge's
# output and sets up the views. Run it in Slicer's Python console:
#
#   exec(open(r'/path/to/igtbridge/scripts/slicer_setup.py').read())
#
# Settings: variables set in the console before exec, else environment
# variables of the same name, else the defaults:
#   IGTB_HOST     127.0.0.1        where igtbridge runs
#   IGTB_PORT     18945            igtbridge's output port (not PlusServer's)
#   IGTB_IMAGE    Image_Reference  device name of the ultrasound image
#   IGTB_MASK     BoneMask         device name of the label map
#   IGTB_CONTOUR  BoneContour      device name of the contour polydata
#   IGTB_CLASSES  (none)           pipeline.kind segment with output.label_values
#                                  class: the class names, "bone,vessel" (label 1, 2)
#   IGTB_MODEL    (none)           or the model file (.pt) whose config.json says
#                                  them ("class_names"), read from the file itself
# Running it again is safe: it reuses the nodes it made before.

import json
import os
import zipfile

import qt
import slicer


def _setting(name, default):
    # A console variable wins (even a falsy one), then the environment, then the default.
    if globals().get(name) is not None:
        return str(globals()[name])
    return str(os.environ.get(name) or default)


host = _setting("IGTB_HOST", "127.0.0.1")
port = int(_setting("IGTB_PORT", "18945"))
image_name = _setting("IGTB_IMAGE", "Image_Reference")
mask_name = _setting("IGTB_MASK", "BoneMask")
contour_name = _setting("IGTB_CONTOUR", "BoneContour")
scene = slicer.mrmlScene


def _model_class_names(path):
    # A TorchScript file is a zip archive; aigt's export keeps its settings in
    # <archive>/extra/config.json, where igtbridge reads "class_names" too.
    try:
        with zipfile.ZipFile(path) as z:
            entries = [n for n in z.namelist() if n.endswith("/extra/config.json")]
            if not entries:
                print("igtbridge: %s has no config.json; labels are named by number" % path)
                return []
            names = json.loads(z.read(entries[0]).decode("utf-8")).get("class_names", [])
    except (OSError, zipfile.BadZipFile, ValueError) as e:
        print("igtbridge: cannot read class names from %s (%s); labels are named by number" % (path, e))
        return []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        print("igtbridge: %s: \"class_names\" is not a list of names; labels are named by number" % path)
        return []
    return names


class_names = [c.strip() for c in _setting("IGTB_CLASSES", "").split(",") if c.strip()]
if not class_names and _setting("IGTB_MODEL", ""):
    class_names = _model_class_names(_setting("IGTB_MODEL", ""))

# --- Colour table for the label map: 0 transparent, ids 1..255 in 16 distinct
# colours (repeating). The same table as scripts/demo_report.py uses. With
# class names (the segment shape's class values) the first entries carry them.
PALETTE = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
           (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128), (220, 190, 255),
           (170, 110, 40), (170, 255, 195), (128, 128, 0), (255, 215, 180)]
colors = scene.GetFirstNode("igtbridge labels", "vtkMRMLColorTableNode")
if colors is None:
    colors = scene.AddNewNodeByClass("vtkMRMLColorTableNode", "igtbridge labels")
colors.SetTypeToUser()
colors.SetNumberOfColors(256)
colors.GetLookupTable().SetTableRange(0, 255)
colors.SetColor(0, "background", 0.0, 0.0, 0.0, 0.0)
for i in range(1, 256):
    r, g, b = PALETTE[(i - 1) % len(PALETTE)]
    name = class_names[i - 1] if i <= len(class_names) else "track %d" % i
    colors.SetColor(i, name, r / 255.0, g / 255.0, b / 255.0, 1.0)
if class_names:
    print("igtbridge: label colours named by class: %s" % ", ".join(
        "%d %s" % (i + 1, n) for i, n in enumerate(class_names)))

# --- The label map node, made BEFORE the first mask arrives.
# OpenIGTLinkIF never creates a label map for an IMAGE message: for a
# 1-component image it looks for an existing node with the device's name with
#   GetScene()->GetFirstNode(deviceName, "vtkMRMLScalarVolumeNode")
# and creates a grey vtkMRMLScalarVolumeNode only when there is none
# (openigtlink/SlicerOpenIGTLink, OpenIGTLinkIF/MRML/vtkMRMLIGTLConnectorNode.cxx,
# CreateNewMRMLNodeForDevice, checked at commit d090ca4). vtkMRMLScene::GetFirstNode
# matches classes with IsA() (Slicer/Slicer, Libs/MRML/Core/vtkMRMLScene.cxx), and a
# vtkMRMLLabelMapVolumeNode is a vtkMRMLScalarVolumeNode, so a pre-made label map
# with the device's name is found there, registered by the connector itself and
# updated in place (only its image data and IJK->RAS change; our display node and
# colours stay). We do NOT call connector.RegisterIncomingMRMLNode(node) here: that
# overload maps the node's tag to a device type (GetDeviceTypeFromMRMLNodeType),
# which knows "Volume" but not "LabelMapVolume". Side effect of the name lookup:
# the connector fires NewDeviceEvent for every mask frame; nothing here needs it.
mask = scene.GetFirstNode(mask_name, "vtkMRMLVolumeNode")
if mask is not None and not mask.IsA("vtkMRMLLabelMapVolumeNode"):
    # A grey volume made by an earlier connection would be reused instead: replace it.
    print("igtbridge: removing grey volume '%s' so that the label map is used" % mask_name)
    scene.RemoveNode(mask)
    mask = None
if mask is None:
    mask = scene.AddNewNodeByClass("vtkMRMLLabelMapVolumeNode", mask_name)
mask.CreateDefaultDisplayNodes()
mask.GetDisplayNode().SetAndObserveColorNodeID(colors.GetID())

# --- The connector: a client of igtbridge's output port.
connector = scene.GetFirstNode("igtbridge", "vtkMRMLIGTLConnectorNode")
if connector is None:
    connector = scene.AddNewNodeByClass("vtkMRMLIGTLConnectorNode", "igtbridge")
if connector.GetState() != slicer.vtkMRMLIGTLConnectorNode.StateOff:
    connector.Stop()
connector.SetTypeClient(host, port)
started = connector.Start()
print("igtbridge: connector 'igtbridge' -> %s:%d %s" % (host, port, "started" if started else "FAILED to start"))
print("igtbridge: label map '%s' ready (colour table '%s'); waiting for '%s' and '%s'"
      % (mask_name, colors.GetName(), image_name, contour_name))


# --- Views: poll twice a second until the image and the contour model exist.
def _igtb_setup_views():
    state = _igtb_setup_views.state
    lm = slicer.app.layoutManager()
    image = scene.GetFirstNode(image_name, "vtkMRMLVolumeNode")
    if image is not None and not state["image"] and lm is not None:
        for view in lm.sliceViewNames():
            widget = lm.sliceWidget(view)
            composite = widget.mrmlSliceCompositeNode()
            composite.SetBackgroundVolumeID(image.GetID())
            composite.SetLabelVolumeID(mask.GetID())
            composite.SetLabelOpacity(0.5)
            widget.mrmlSliceNode().RotateToVolumePlane(image)  # views along the image axes
            widget.sliceLogic().FitSliceToAll()
        state["image"] = True
        print("igtbridge: '%s' is the background and '%s' the label layer in all slice views"
              % (image_name, mask_name))
    model = scene.GetFirstNode(contour_name, "vtkMRMLModelNode")
    if model is not None and not state["model"] and model.GetDisplayNode() is not None:
        display = model.GetDisplayNode()
        display.SetVisibility2D(True)
        display.SetSliceDisplayModeToProjection()  # the contour lies in the image plane
        display.SetScalarVisibility(False)  # one colour; the label map shows the ids
        display.SetColor(1.0, 1.0, 0.0)
        display.SetLineWidth(2)
        state["model"] = True
        print("igtbridge: model '%s' shown in the slice views" % contour_name)
    if state["image"] and state["model"]:
        _igtb_setup_views.timer.stop()


old_timer = getattr(slicer, "igtbridge_timer", None)
if old_timer is not None:
    old_timer.stop()  # from an earlier run of this script
_igtb_setup_views.state = {"image": False, "model": False}
_igtb_setup_views.timer = qt.QTimer()
_igtb_setup_views.timer.setInterval(500)
_igtb_setup_views.timer.connect("timeout()", _igtb_setup_views)
_igtb_setup_views.timer.start()
slicer.igtbridge_timer = _igtb_setup_views.timer  # keeps the timer alive
_igtb_setup_views()
