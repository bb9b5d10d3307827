# %% [markdown]
# # Lab 1
#
# Math $a^2$.

# %%
import cnnbook
print(cnnbook.shapes.conv_output_size(32, 5))
