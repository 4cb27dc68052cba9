# Terraform and provider versions of this root module, the AWS side of the Flux environment
# production. hashicorp/aws 5.29 is the first release with aws_eks_pod_identity_association.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.29, < 7.0"
    }
  }

  # No backend block: state stays in this folder (git-ignored) until you add your team's backend.
}
