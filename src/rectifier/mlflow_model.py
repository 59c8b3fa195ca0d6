"""The fine-tuned network as an MLflow model (models from code): `mlflow.pyfunc.load_model(uri)`
rebuilds it from this file and the job's checkpoint.pt, read with torch.load(weights_only=True),
so loading the model unpickles nothing. predict() takes inputs scaled as the prepared data
(rectifier.data: pixels in [0, 1]), one example per row, and returns the predicted classes."""
from __future__ import annotations

import mlflow
import numpy as np
import torch
from mlflow.pyfunc import PythonModel


class Classifier(PythonModel):
    def load_context(self, context) -> None:
        from rectifier.model import MLP
        checkpoint = torch.load(context.artifacts["checkpoint"], map_location="cpu",
                                weights_only=True)
        state, settings = checkpoint["model"], checkpoint["settings"]
        hidden = settings["hidden"]
        n_in = state["hidden.0.weight"].shape[1]
        classes = state["output.weight"].shape[0]
        self.network = MLP(n_in, tuple(hidden), classes, settings["activation"],
                           settings["sign_trick"], torch.Generator().manual_seed(0))
        self.network.load_state_dict(state)
        self.network.eval()

    def predict(self, context, model_input, params=None) -> np.ndarray:
        x = torch.as_tensor(np.asarray(model_input, dtype=np.float32))
        with torch.no_grad():
            logits, _ = self.network(x)
        return logits.argmax(1).numpy()


mlflow.models.set_model(Classifier())
