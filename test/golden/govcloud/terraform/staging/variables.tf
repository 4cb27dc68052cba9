# The cluster's OIDC issuer is not known yet: give it when you plan, e.g.
#   terraform plan -var "oidc_issuer=$(aws eks describe-cluster --region us-gov-west-1 --name staging --query cluster.identity.oidc.issuer --output text)"
# Generating the fleet with --oidc-issuer instead writes it into iam/staging/trust-policy.json
# as well, and removes this variable.
variable "oidc_issuer" {
  description = "OIDC issuer of EKS cluster staging: aws eks describe-cluster --region us-gov-west-1 --name staging --query cluster.identity.oidc.issuer --output text"
  type        = string

  validation {
    condition     = can(regex("^(?:https://)?oidc\\.eks\\.us-gov-west-1\\.amazonaws\\.com/id/[A-Za-z0-9]{1,64}$", var.oidc_issuer))
    error_message = "The oidc_issuer must be the OIDC issuer of EKS cluster staging in us-gov-west-1: oidc.eks.us-gov-west-1.amazonaws.com/id/<ID>, with or without https://."
  }
}
