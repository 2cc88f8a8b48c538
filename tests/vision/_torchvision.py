"""Import torchvision as a test oracle, or skip.

The PyPI torchvision wheel's C extension is built against CUDA torch and does not load with the
CPU torch of the test environment; torchvision's Python code (transforms, models) works without
it once the two operators it registers fake kernels for unconditionally are declared.
"""

import pytest

torch = pytest.importorskip("torch")


def _declare_missing_ops():
    try:
        torch.ops.torchvision.nms  # noqa: B018
        return
    except (AttributeError, RuntimeError):
        pass
    lib = torch.library.Library("torchvision", "DEF")
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _LIBS.append(lib)  # the declarations live as long as the library object


_LIBS = []


def load():
    """The ``torchvision`` module, or skip the calling test module when it is not installed."""
    import importlib.util
    import warnings

    if importlib.util.find_spec("torchvision") is None:
        pytest.skip("torchvision is not installed", allow_module_level=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import torchvision
        except RuntimeError:
            _declare_missing_ops()
            import torchvision
    return torchvision
