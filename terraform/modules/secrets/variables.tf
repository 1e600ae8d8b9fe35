variable "name" {
  description = "Secret name in Secrets Manager, e.g. taskboard/prod/app."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", var.name))
    error_message = "name must use only the characters Secrets Manager accepts in a name."
  }
}

variable "database" {
  description = "Where and as whom the application connects to PostgreSQL."
  type = object({
    host     = string
    port     = number
    name     = string
    username = string
    password = string
  })
  sensitive = true
}

variable "redis" {
  description = "Where the application connects to Redis (always over TLS) and its AUTH token."
  type = object({
    host       = string
    port       = number
    auth_token = string
    database   = number
  })
  sensitive = true
}

variable "recovery_window_days" {
  description = "Days a deleted secret can still be restored."
  type        = number
  default     = 30

  validation {
    condition     = var.recovery_window_days >= 7 && var.recovery_window_days <= 30
    error_message = "recovery_window_days must be between 7 and 30."
  }
}

variable "django_secret_key_generation" {
  description = "Bump to generate a new DJANGO_SECRET_KEY (rotation; signs out every session and token)."
  type        = number
  default     = 1

  validation {
    condition     = var.django_secret_key_generation >= 1
    error_message = "django_secret_key_generation must be a positive integer."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
