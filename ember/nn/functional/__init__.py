"""``ember.nn.functional``: the stateless form of every layer, as ``torch.nn.functional``.

One file per family (activations, losses, convolution, pooling, normalisation, ...); this
module only re-exports them.
"""
