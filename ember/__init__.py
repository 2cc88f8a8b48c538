"""ember: a deep learning framework with PyTorch's API, on NumPy (and CuPy for CUDA).

``import ember as torch`` and a PyTorch program runs: this namespace mirrors ``torch``.
"""

from ember import _dtype
from ember._device import device
from ember._dtype import (
    bfloat16,
    bool,
    can_cast,
    complex64,
    complex128,
    dtype,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    result_type,
    set_default_dtype,
    uint8,
)
from ember._factories import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from ember._storage import TypedStorage, UntypedStorage
from ember._tensor import Size, Tensor
from ember._tensor_str import get_printoptions, printoptions, set_printoptions
from ember.ops import shape as _shape
from ember import autograd  # noqa: E402
from ember.autograd import (  # noqa: E402
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from ember.ops.elementwise import add, div, mul, neg, sub  # noqa: E402
from ember.ops.reduce import sum  # noqa: E402
from ember import cuda  # noqa: E402

__version__ = "0.1.0"

half = _dtype.float16
float = _dtype.float32
double = _dtype.float64
short = _dtype.int16
int = _dtype.int32
long = _dtype.int64
cfloat = _dtype.complex64
cdouble = _dtype.complex128

# Functional forms of the view operations (methods are installed by ember.ops).
as_strided = _shape.as_strided
broadcast_to = _shape.broadcast_to
chunk = _shape.chunk
clone = _shape.clone
diagonal = _shape.diagonal
flatten = _shape.flatten
movedim = _shape.movedim
moveaxis = _shape.movedim
narrow = _shape.narrow
permute = _shape.permute
reshape = _shape.reshape
select = _shape.select
split = _shape.split
squeeze = _shape.squeeze
swapaxes = _shape.transpose
swapdims = _shape.transpose
t = _shape.t
transpose = _shape.transpose
unbind = _shape.unbind
unflatten = _shape.unflatten
unsqueeze = _shape.unsqueeze


def is_tensor(obj) -> bool:
    """Whether ``obj`` is an ember Tensor."""
    return isinstance(obj, Tensor)


def is_storage(obj) -> bool:
    return isinstance(obj, UntypedStorage | TypedStorage)


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    return input.is_complex()


def numel(input: Tensor) -> int:
    return input.numel()
