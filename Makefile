# `make demo` runs the whole package on the bundled toy data; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python
RUN := TF_CPP_MIN_LOG_LEVEL=2 $(VENV_PYTHON) -m

TOY_VOC := data/toy/voc
TOY_RECORDS := data/toy/tfrecords
DEMO_DIR := runs/toy
DEMO_CONFIG := gin_configs/toy/quickstart.gin
MS_FLIP := --eval_scales=0.75,1.0,1.25 --add_flipped_images
# The LiteRT input: toy images are at most 128 pixels a side; the toy
# train_aug split has 64 images to calibrate int8 on.
LITERT_SIZE := 129,129
CALIBRATION_IMAGES := 64

.PHONY: demo test

$(VENV)/installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV_PYTHON) -m pip install --quiet --upgrade pip
	$(VENV_PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

# One pytest worker per core (pytest-xdist); a file's tests stay on one
# worker, so that the fixtures they share are made once; the slowest files go
# first (tests/conftest.py).
test: $(VENV)/installed
	TF_CPP_MIN_LOG_LEVEL=2 $(VENV_PYTHON) -m pytest -q -n auto --dist loadfile \
		--no-loadscope-reorder tests

$(TOY_VOC)/.built: $(VENV)/installed
	$(RUN) tools.make_toy_dataset --output_dir=$(TOY_VOC) --layout=voc
	touch $@

$(TOY_RECORDS)/.built: $(TOY_VOC)/.built
	$(RUN) tools.build_voc_data --voc_root=$(TOY_VOC) --sbd_root=$(TOY_VOC) \
	    --output_dir=$(TOY_RECORDS)
	touch $@

# Training resumes from runs/toy, so a rerun after the last step costs only
# the model's construction; evaluation, export and prediction are quick.
demo: $(TOY_RECORDS)/.built
	$(RUN) official.train --model_dir=$(DEMO_DIR) --gin_file=$(DEMO_CONFIG)
	$(RUN) official.eval --model_dir=$(DEMO_DIR)
	$(RUN) official.eval --model_dir=$(DEMO_DIR) $(MS_FLIP) \
	    --eval_dir=$(DEMO_DIR)/eval_ms_flip
	$(RUN) official.export --model_dir=$(DEMO_DIR) \
	    --export_dir=$(DEMO_DIR)/export
	$(RUN) official.export --model_dir=$(DEMO_DIR) --format=litert \
	    --quantize=int8 --crop_size=$(LITERT_SIZE) \
	    --num_calibration_images=$(CALIBRATION_IMAGES) \
	    --export_dir=$(DEMO_DIR)/export_int8
	$(RUN) official.eval --export_dir=$(DEMO_DIR)/export --model_dir=$(DEMO_DIR)
	$(RUN) official.eval --export_dir=$(DEMO_DIR)/export_int8 \
	    --model_dir=$(DEMO_DIR)
	$(RUN) official.predict --export_dir=$(DEMO_DIR)/export --colormap=pascal \
	    --input='$(TOY_VOC)/VOCdevkit/VOC2012/JPEGImages/2007_00000?.jpg' \
	    --output_dir=$(DEMO_DIR)/predictions
	$(RUN) tools.summarize_demo --model_dir=$(DEMO_DIR) \
	    --eval_dirs=$(DEMO_DIR)/eval,$(DEMO_DIR)/eval_ms_flip \
	    --export_dir=$(DEMO_DIR)/export --predictions_dir=$(DEMO_DIR)/predictions \
	    --litert_dir=$(DEMO_DIR)/export_int8
