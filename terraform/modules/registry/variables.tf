variable "repository_name" {
  description = "Name of the ECR repository holding the platform image (one image runs every process)."
  type        = string
  default     = "taskboard"

  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.repository_name))
    error_message = "repository_name must be a valid ECR repository name."
  }
}

variable "keep_tagged_images" {
  description = "Number of release images (tags starting with v) to keep; older ones expire."
  type        = number
  default     = 50

  validation {
    condition     = var.keep_tagged_images >= 10
    error_message = "keep_tagged_images must be at least 10, so that rollbacks have images to go back to."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images (superseded build layers) expire."
  type        = number
  default     = 14

  validation {
    condition     = var.untagged_expiry_days >= 1
    error_message = "untagged_expiry_days must be at least 1."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
