"""``ember.hub``: PyTorch downloads published models through its hub; ember runs offline
and cannot.  Every entry point says so."""

_WHY = (
    "ember.hub is not available: ember never downloads code or weights at run time. Build the "
    "model from ember.vision.models and load a local state dict with ember.load instead."
)


def _absent(*args, **kwargs):
    raise RuntimeError(_WHY)


load = list = help = download_url_to_file = load_state_dict_from_url = set_dir = get_dir = _absent
