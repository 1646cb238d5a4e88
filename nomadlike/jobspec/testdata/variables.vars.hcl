image = "busybox:1.36"
count = 3
