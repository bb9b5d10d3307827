"""What chapter 5's figures, facts and exercises share: its examples and the computations behind them."""

from __future__ import annotations

from cnnbook.arithmetic import Arithmetic

#: The 1-D layer of Figure 5.1: its number of inputs and of kernel taps (one colour per tap).
GRAPH_INPUTS, GRAPH_TAPS = 5, 3
#: The backward pass of a 5×5 input, 3×3 kernel, stride 2, padding 1 convolution, drawn as chapter 2 draws it.
BACKWARD_STRIDE2 = Arithmetic(3, 3, stride=2, padding=1, transposed=True)
