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
from ember._tensor import (
    LEGACY_TYPES as _LEGACY_TYPES,
    Size,
    Tensor,
    channels_last,
    channels_last_3d,
    contiguous_format,
    memory_format,
    preserve_format,
)
from ember._tensor_str import get_printoptions, printoptions, set_printoptions
from ember.ops import shape as _shape
from ember import autograd  # noqa: E402
from ember.autograd.anomaly_mode import (  # noqa: E402
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_anomaly_enabled,
)
from ember.autograd import (  # noqa: E402
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from ember.ops.elementwise import (  # noqa: E402
    add,
    addcdiv,
    addcmul,
    arctan2,
    atan2,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    div,
    divide,
    float_power,
    floor_divide,
    fmax,
    fmin,
    fmod,
    hypot,
    lerp,
    maximum,
    minimum,
    mul,
    multiply,
    pow,
    remainder,
    rsub,
    sub,
    subtract,
    true_divide,
    where,
)
from ember.ops.pointwise_math import (  # noqa: E402
    abs,
    absolute,
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctanh,
    asin,
    asinh,
    atan,
    atanh,
    ceil,
    cos,
    cosh,
    erf,
    erfc,
    erfinv,
    exp,
    exp2,
    expm1,
    fix,
    floor,
    frac,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    isreal,
    log,
    log1p,
    log2,
    log10,
    logit,
    nan_to_num,
    neg,
    negative,
    positive,
    reciprocal,
    relu,
    round,
    rsqrt,
    sgn,
    sigmoid,
    sign,
    signbit,
    sin,
    sinh,
    sqrt,
    square,
    tan,
    tanh,
    trunc,
)
from ember.ops.compare import (  # noqa: E402
    allclose,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    eq,
    equal,
    ge,
    greater,
    greater_equal,
    gt,
    isclose,
    le,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
    not_equal,
)
from ember.ops.reduce import (  # noqa: E402
    all,
    amax,
    amin,
    aminmax,
    any,
    argmax,
    argmin,
    count_nonzero,
    max,
    mean,
    min,
    nanmean,
    nansum,
    prod,
    sum,
)
from ember.ops.moments import norm, std, std_mean, var, var_mean  # noqa: E402
from ember.ops.softmax import log_softmax, logsumexp, softmax  # noqa: E402
from ember.ops.special import digamma, lgamma, mvlgamma, polygamma  # noqa: E402
from ember.ops.scan import cummax, cummin, cumprod, cumsum  # noqa: E402
from ember.ops.sort import (  # noqa: E402
    argsort,
    kthvalue,
    median,
    mode,
    msort,
    nanmedian,
    sort,
    topk,
    unique,
    unique_consecutive,
)
from ember import return_types  # noqa: E402
from ember.ops.linalg import (  # noqa: E402
    addbmm,
    addmm,
    addmv,
    baddbmm,
    bmm,
    chain_matmul,
    cross,
    dot,
    ger,
    inner,
    kron,
    matmul,
    mm,
    mv,
    outer,
    trace,
    vdot,
)
from ember.ops.einsum import einsum, tensordot  # noqa: E402
from ember.ops.decompositions import det  # noqa: E402
from ember.ops.linalg_functions import (  # noqa: E402
    inverse,
    logdet,
    matrix_power,
    pinverse,
    torch_cholesky as cholesky,
    torch_qr as qr,
    torch_slogdet as slogdet,
    torch_svd as svd,
)
from ember import linalg  # noqa: E402
from ember import random  # noqa: E402
from ember.random import (  # noqa: E402
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from ember.ops.random import (  # noqa: E402
    bernoulli,
    multinomial,
    normal,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
)
from ember import cuda  # noqa: E402
from ember.ops.join import (  # noqa: E402
    atleast_1d,
    atleast_2d,
    atleast_3d,
    broadcast_shapes,
    broadcast_tensors,
    cartesian_prod,
    cat,
    column_stack,
    concat,
    concatenate,
    diag,
    diag_embed,
    diagflat,
    dstack,
    flip,
    fliplr,
    flipud,
    hstack,
    meshgrid,
    repeat_interleave,
    roll,
    rot90,
    row_stack,
    stack,
    tile,
    tril,
    tril_indices,
    triu,
    triu_indices,
    vstack,
)
from ember.ops.index import (  # noqa: E402
    argwhere,
    gather,
    index_add,
    index_copy,
    index_fill,
    index_put,
    index_put_,
    index_select,
    masked_fill,
    masked_scatter,
    masked_select,
    nonzero,
    put,
    scatter,
    scatter_add,
    scatter_reduce,
    take,
    take_along_dim,
)

__version__ = "0.1.0"

half = _dtype.float16
float = _dtype.float32
double = _dtype.float64
short = _dtype.int16
int = _dtype.int32
long = _dtype.int64
cfloat = _dtype.complex64
cdouble = _dtype.complex128

# The legacy typed constructors: ember.FloatTensor(2, 3), ember.LongTensor([1, 2]), ...
globals().update(_LEGACY_TYPES)

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


from ember import nn, optim, serialization, utils  # noqa: E402  (they build on the ops above)
from ember import distributions  # noqa: E402  (builds on nn.functional)
from ember import special  # noqa: E402
from ember.special import xlogy  # noqa: E402
from ember import accelerator, backends, cuda, hub, jit, metrics, version  # noqa: E402
from ember import _shared_memory  # noqa: E402,F401  (installs Tensor.share_memory_)
from ember._runtime import (  # noqa: E402
    are_deterministic_algorithms_enabled,
    compile,
    get_float32_matmul_precision,
    get_num_interop_threads,
    get_num_threads,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    set_num_interop_threads,
    set_num_threads,
    use_deterministic_algorithms,
)
from ember.serialization import load, save  # noqa: E402


def _inplace_function(name: str):
    def fn(input: Tensor, *args, **kwargs) -> Tensor:
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``input.{name}(...)``: the in-place method as a function, as in PyTorch."
    return fn


# torch.relu_(x), torch.exp_(x), ...: the in-place methods under their function names
for _name in (
    "abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
    "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_",
    "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_", "erf_", "erfc_", "exp2_", "exp_",
    "expm1_", "fill_", "fix_", "floor_", "frac_", "gcd_", "lcm_", "ldexp_", "log10_", "log1p_",
    "log2_", "log_", "logit_", "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_",
    "relu_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_",
    "tan_", "tanh_", "trunc_", "xlogy_", "zero_", "detach_",
):  # fmt: skip
    if hasattr(Tensor, _name) and _name not in globals():
        globals()[_name] = _inplace_function(_name)
del _name
