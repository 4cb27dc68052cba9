# The ARNs the fleet uses.

# The role kustomize-controller assumes (its ServiceAccount's eks.amazonaws.com/role-arn annotation).
output "role_arn" {
  description = "ARN of the IAM role of kustomize-controller in this environment"
  value       = aws_iam_role.kustomize_controller.arn
}

# The key itself, also when .sops.yaml names it by an alias.
output "kms_key_arn" {
  description = "ARN of this environment's KMS key (the key, not an alias)"
  value       = local.kms_key_arn
}
