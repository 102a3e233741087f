"""The image half of the guide's "Complete Handler Pair Example", as written."""

from aws.osml.model_runner.image_request_handler import ImageRequestHandler
from osml_extensions.registry import HandlerType, register_handler


@register_handler(
    request_type="local_models",
    handler_type=HandlerType.IMAGE_REQUEST_HANDLER,
    name="my_image_handler",
    description="Custom image handler with enhanced processing",
)
class MyImageHandler(ImageRequestHandler):
    def __init__(
        self,
        job_table,
        image_status_monitor,
        endpoint_statistics_table,
        tiling_strategy,
        region_request_queue,
        region_request_table,
        endpoint_utils,
        config,
        region_request_handler,
    ):
        super().__init__(
            job_table,
            image_status_monitor,
            endpoint_statistics_table,
            tiling_strategy,
            region_request_queue,
            region_request_table,
            endpoint_utils,
            config,
            region_request_handler,
        )
        # Custom initialization
