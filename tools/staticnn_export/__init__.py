"""staticnn_export: PyTorch modules and ONNX files to a staticnn network type
and its parameters (constexpr header or safetensors). See __main__.py."""
