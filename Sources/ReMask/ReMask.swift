// ReMask: fine-tuning data (formats, rendering, collation), masking policies, the training objectives
// (SFT, Masked Thought, ReMask, ReMask-CoT), the trainer and its checkpoints.
