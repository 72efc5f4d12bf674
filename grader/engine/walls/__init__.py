"""The walls: what keeps a submission in, the same for root with cgroups as for an ordinary user
without them.

Modules:
``bwrap`` (the sandbox's namespaces, mounts and what it shows, made by bubblewrap);
``cgroups`` (one submission's processes limited together: memory, process count);
``cgroup_removal`` (run cgroups emptied and removed, also those a killed grader left);
``memory_watch`` (memory counted from outside where no cgroup counts it);
``wall_checks`` (``grader setup``'s check of every wall, one line each);
``gpu`` (the machine's NVIDIA GPU, shown to the projects' sandbox of a CUDA runtime);
``sandbox_limits`` (the sandbox's copy of the limits, as plain constants);
``student_user`` (the student's own user where no namespace can be made);
``polling`` (descriptors of any number waited on, by the walls and the run alike).
"""
