"""Reproduction of Glorot, Bordes & Bengio, "Deep Sparse Rectifier Neural Networks" (AISTATS 2011)."""
